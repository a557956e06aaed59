"""Ingest: appends queue up and share group commits; every acknowledged event is committed and fsynced."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from metering_sidecar.core import (
    AppendResult,
    Clock,
    ConflictingEvent,
    SidecarError,
    UsageEvent,
    crash_point,
)
from metering_sidecar.store._backlog import Backlog
from metering_sidecar.store._database import Database
from metering_sidecar.store._sealing import SealedThrough
from metering_sidecar.store._settings import CHUNK
from metering_sidecar.targets import tags_json

_INSERT_EVENT = (
    "INSERT INTO events (event_id, fingerprint, product, license_arn, customer_field, customer, dimension, "
    "quantity, event_ms, window_start, tags, received_ms, rolled, marketplace) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass
class Pending:
    """An append waiting for the next group commit."""

    events: Sequence[UsageEvent]
    future: asyncio.Future[AppendResult]


class _KnownIds(Exception):
    """Raised inside the fast path's transaction to roll it back."""


class Ingest:
    """append() and the group-commit writer; the backlog decides what the buffer cap admits."""

    def __init__(
        self, database: Database, backlog: Backlog, sealed: SealedThrough, window_seconds: int, clock: Clock
    ) -> None:
        self._database = database
        self._backlog = backlog
        self._sealed = sealed
        self.window_seconds = window_seconds
        self.clock = clock
        self._queue: list[Pending] = []
        self._writer: asyncio.Task[None] | None = None
        self.commits = 0  # group commits made (tests check that concurrent calls share them)

    async def append(self, events: Sequence[UsageEvent]) -> AppendResult:
        """Store ``events`` all or nothing; return once they are committed and fsynced (I1, I8)."""
        future: asyncio.Future[AppendResult] = asyncio.get_running_loop().create_future()
        self._queue.append(Pending(events, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_loop(), name="store-writer")
        return await future

    async def drain(self) -> None:
        """Wait for queued appends to be committed (before closing the database)."""
        if self._writer is not None:
            await asyncio.shield(self._writer)

    async def _write_loop(self) -> None:
        # Group commit: whatever queued up while the last commit ran shares the next one.
        while self._queue:
            group, self._queue = self._queue, []
            async with self._database.write_lock:
                await self._commit_group(group)

    async def _commit_group(self, group: list[Pending]) -> None:
        try:
            results = await self._commit_new(group)
            if results is None:
                results = await self._commit_checked(group)
            self._database.mark_healthy()
        except SidecarError as exc:
            results = [exc] * len(group)
        for pending, answer in zip(group, results, strict=True):
            if pending.future.done():
                continue
            if isinstance(answer, BaseException):
                pending.future.set_exception(answer)
            else:
                pending.future.set_result(answer)

    async def _commit_new(self, group: list[Pending]) -> list[AppendResult | SidecarError] | None:
        """The common case, every event new: one INSERT ... DO NOTHING, no lookups. None: not that case."""
        total = sum(len(p.events) for p in group)
        if not self._backlog.admits(total):
            return None
        if len({e.event_id for p in group for e in p.events}) != total:
            return None
        now_ms = int(self.clock.now() * 1000)
        rows, rolled = self._rows([e for p in group for e in p.events], now_ms)
        try:
            async with self._database.transaction():
                before = self._database.conn.total_changes
                await self._database.conn.executemany(
                    _INSERT_EVENT + " ON CONFLICT (event_id) DO NOTHING", rows
                )
                if self._database.conn.total_changes - before != len(rows):
                    raise _KnownIds()  # some ids were seen before: roll back, take the checked path
                await self._database.add_counter("rolled_forward_events", rolled)
                crash_point("ingest-before-commit")
        except _KnownIds:
            return None
        crash_point("ingest-after-commit")
        self.commits += 1
        self._backlog.add(len(rows))
        return [AppendResult(len(p.events), 0) for p in group]

    async def _commit_checked(self, group: list[Pending]) -> list[AppendResult | SidecarError]:
        """Repeats, conflicts and the buffer cap, decided request by request against stored fingerprints."""
        results: list[AppendResult | SidecarError] = []
        known = await self._known_fingerprints(e.event_id for p in group for e in p.events)
        accepted: list[UsageEvent] = []
        budget = self._backlog.room()
        for pending in group:
            outcome = self._admit(pending.events, known)
            if not isinstance(outcome, tuple):
                results.append(outcome)
                continue
            result, new = outcome
            if len(new) > budget:
                results.append(self._backlog.refusal())
                continue
            budget -= len(new)
            for event in new:
                known[event.event_id] = event.fingerprint
            accepted.extend(new)
            results.append(result)
        if accepted:
            rows, rolled = self._rows(accepted, int(self.clock.now() * 1000))
            async with self._database.transaction():
                await self._database.conn.executemany(_INSERT_EVENT, rows)
                await self._database.add_counter("rolled_forward_events", rolled)
                crash_point("ingest-before-commit")
            crash_point("ingest-after-commit")
            self.commits += 1
            self._backlog.add(len(rows))
        return results

    async def _known_fingerprints(self, ids: Iterable[str]) -> dict[str, str]:
        unique = list(dict.fromkeys(ids))
        known: dict[str, str] = {}
        for start in range(0, len(unique), CHUNK):
            chunk = unique[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = await self._database.conn.execute_fetchall(
                f"SELECT event_id, fingerprint FROM events WHERE event_id IN ({marks})", chunk
            )
            known.update((str(r[0]), str(r[1])) for r in rows)
        return known

    @staticmethod
    def _admit(
        events: Sequence[UsageEvent], known: dict[str, str]
    ) -> tuple[AppendResult, list[UsageEvent]] | SidecarError:
        seen = dict(known)
        new: list[UsageEvent] = []
        for index, event in enumerate(events):
            previous = seen.get(event.event_id)
            if previous is None:
                seen[event.event_id] = event.fingerprint
                new.append(event)
            elif previous != event.fingerprint:
                return ConflictingEvent(event.event_id, index if len(events) > 1 else None)
        return AppendResult(len(new), len(events) - len(new)), new

    def _rows(self, events: Sequence[UsageEvent], now_ms: int) -> tuple[list[tuple[Any, ...]], int]:
        window, watermark = self.window_seconds, self._sealed.watermark
        rows: list[tuple[Any, ...]] = []
        rolled = 0
        for event in events:
            event_ms = round(event.event_time * 1000)
            start = (event_ms // 1000 // window) * window
            was_rolled = 0
            if start < watermark:
                # I5: usage for a sealed window rolls into the earliest window not yet sealed.
                start, was_rolled = watermark, 1
            rolled += was_rolled
            rows.append((
                event.event_id, event.fingerprint, event.product_code, event.license_arn,
                str(event.customer_field), event.customer, event.dimension, event.quantity,
                event_ms, start, tags_json(event.tags), now_ms, was_rolled, event.marketplace,
            ))  # fmt: skip
        return rows, rolled

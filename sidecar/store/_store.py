"""The durable buffer: SQLite in WAL mode with synchronous=FULL, one writer and group commit.

Every write (ingest, sealing, results) runs under one asyncio lock on one connection, so the
watermark and the roll-forward rule are decided in the same serial order as the commits.
"""

from __future__ import annotations

import asyncio
import logging
import math
import shutil
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from sidecar.clock import Clock
from sidecar.errors import ConflictingEvent, SidecarError, StorageError, StorageFull
from sidecar.faults import crash_point
from sidecar.model import (
    MAX_QUANTITY,
    AppendResult,
    Outcome,
    Record,
    RecordOutcome,
    RecordState,
    SealResult,
    Status,
    UsageEvent,
)
from sidecar.store._customers import CustomerQueries
from sidecar.store._handover import HandoverQueries
from sidecar.store._operator import OperatorQueries
from sidecar.store._schema import MIGRATIONS, SCHEMA_VERSION
from sidecar.store._sealing import TagGroup, build_record, tags_json

log = logging.getLogger("sidecar.store")

_KEY = "product, license_arn, customer_field, customer, dimension, window_start"
_CHUNK = 900  # stay under SQLite's host-parameter limit on every build
_INSERT_EVENT = (
    "INSERT INTO events (event_id, fingerprint, product, license_arn, customer_field, customer, dimension, "
    "quantity, event_ms, window_start, tags, received_ms, rolled) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class _KnownIds(Exception):
    """Raised inside the fast path's transaction to roll it back."""


ROOM_RESERVE_BYTES = 1 << 20  # a recovered store must have this much room (or a tenth of --max-db-bytes)


@dataclass
class _Pending:
    events: Sequence[UsageEvent]
    future: asyncio.Future[AppendResult]


@dataclass
class StoreSettings:
    """What the store needs to know of the configuration."""

    window_seconds: int
    max_record_age: float
    expiry_margin: float
    max_pending_events: int = 5_000_000
    max_db_bytes: int = 0
    id_retention_seconds: float = 7 * 86400
    audit_retention_seconds: float = 90 * 86400
    ship_from: float = 0.0  # windows starting before this are sealed as 'skipped', never shipped


class Store(OperatorQueries, CustomerQueries, HandoverQueries):
    """SQLite-backed event buffer and record ledger; use ``async with`` or open()/close()."""

    def __init__(self, path: str | Path, settings: StoreSettings, clock: Clock) -> None:
        self.path = str(path)
        self.settings = settings
        self.clock = clock
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._queue: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None
        self._watermark = 0
        self._pending_events = 0
        self.healthy = True
        self.last_error = ""
        self.created = False
        self.ingest_commits = 0

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def db(self) -> aiosqlite.Connection:
        """Return the open connection."""
        if self._db is None:
            raise StorageError("the store is not open")
        return self._db

    @property
    def watermark(self) -> int:
        """Return the start of the earliest window not yet sealed (every earlier one is sealed)."""
        return self._watermark

    async def open(self) -> None:
        """Open, check, migrate and load the database; refuse a damaged file without touching it."""
        existed = await asyncio.to_thread(_has_content, self.path)
        try:
            self._db = await aiosqlite.connect(self.path, isolation_level=None)
            if existed:
                await self._check_integrity()
            await self.db.execute("PRAGMA journal_mode=WAL")
            await self.db.execute("PRAGMA synchronous=FULL")
            await self.db.execute("PRAGMA foreign_keys=ON")
            await self.db.execute("PRAGMA busy_timeout=5000")
            if self.settings.max_db_bytes:
                page = await self._scalar("PRAGMA page_size")
                await self.db.execute(f"PRAGMA max_page_count={max(1, self.settings.max_db_bytes // page)}")
            await self._migrate()
            await self._load()
        except sqlite3.DatabaseError as exc:
            await self._close_quietly()
            raise StorageError(_damaged(self.path, str(exc))) from exc
        except BaseException:
            await self._close_quietly()
            raise

    async def _close_quietly(self) -> None:
        if self._db is not None:
            try:
                await self._db.close()
            except (sqlite3.Error, ValueError):
                pass
            self._db = None

    async def _check_integrity(self) -> None:
        rows = await self.db.execute_fetchall("PRAGMA quick_check")
        problems = [line for r in rows if r[0] != "ok" for line in str(r[0]).splitlines()]
        if problems:
            more = f" (and {len(problems) - 3} more problems)" if len(problems) > 3 else ""
            raise sqlite3.DatabaseError("; ".join(problems[:3]) + more)

    async def _migrate(self) -> None:
        version = int(await self._scalar("PRAGMA user_version"))
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"{self.path} has schema version {version}, newer than this sidecar's {SCHEMA_VERSION}; "
                "run a newer metering-sidecar on it"
            )
        if version == 0:
            self.created = True
        for target in range(version + 1, SCHEMA_VERSION + 1):
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                await self._run_script(MIGRATIONS[target - 1])
                await self.db.execute(f"PRAGMA user_version={target}")
                await self.db.execute("COMMIT")
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            log.info("database migrated", extra={"fields": {"schema_version": target}})

    async def _run_script(self, script: str) -> None:
        # executescript would COMMIT first; run statement by statement inside our transaction.
        for statement in (s.strip() for s in script.split(";")):
            if statement:
                await self.db.execute(statement)

    async def _load(self) -> None:
        window = self.settings.window_seconds
        stored_window = await self._meta("window_seconds")
        if stored_window is None:
            # A new database treats the current window as sealed: a replacement pod must never send a
            # second record for an hour its predecessor may already have shipped (DESIGN.md, Time).
            now = self.clock.now()
            watermark = (math.floor(now / window) + 1) * window
            await self._set_meta_txn({"window_seconds": str(window), "watermark": str(watermark)})
        elif int(stored_window) != window:
            raise StorageError(
                f"{self.path} was written with --window-seconds {stored_window}, not {window}; "
                "windows cannot change under a database that holds records"
            )
        self._watermark = int(await self._meta("watermark") or 0)
        self._pending_events = await self._count_pending_events()

    async def close(self) -> None:
        """Finish queued appends and close the database; safe to call twice."""
        if self._writer is not None:
            await asyncio.shield(self._writer)
        await self._close_quietly()

    # -- small helpers -------------------------------------------------------------------------------

    async def _scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        async with self.db.execute(sql, tuple(params)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else row[0]

    async def _meta(self, key: str) -> str | None:
        value = await self._scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    async def _set_meta(self, values: dict[str, str]) -> None:
        await self.db.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )

    async def _set_meta_txn(self, values: dict[str, str]) -> None:
        async with self._transaction():
            await self._set_meta(values)

    async def _add_counter(self, key: str, amount: int) -> None:
        if amount:
            await self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + excluded.value",
                (key, str(amount)),
            )

    async def _count_pending_events(self) -> int:
        unsealed = await self._scalar("SELECT COUNT(*) FROM events WHERE record_id IS NULL")
        in_records = await self._scalar(
            "SELECT COALESCE(SUM(event_count), 0) FROM records WHERE state IN ('pending', 'handed')"
        )
        return int(unsealed) + int(in_records)

    def _transaction(self) -> _Transaction:
        return _Transaction(self)

    # -- ingest --------------------------------------------------------------------------------------

    async def append(self, events: Sequence[UsageEvent]) -> AppendResult:
        """Store ``events`` all or nothing; return once they are committed and fsynced (I1, I8)."""
        future: asyncio.Future[AppendResult] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(events, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_loop(), name="store-writer")
        return await future

    async def _write_loop(self) -> None:
        # Group commit: whatever queued up while the last commit ran shares the next one.
        while self._queue:
            group, self._queue = self._queue, []
            async with self._lock:
                await self._commit_group(group)

    async def _commit_group(self, group: list[_Pending]) -> None:
        try:
            results = await self._commit_new(group)
            if results is None:
                results = await self._commit_checked(group)
            self._mark_healthy()
        except SidecarError as exc:
            results = [exc] * len(group)
        for pending, answer in zip(group, results, strict=True):
            if pending.future.done():
                continue
            if isinstance(answer, BaseException):
                pending.future.set_exception(answer)
            else:
                pending.future.set_result(answer)

    async def _commit_new(self, group: list[_Pending]) -> list[AppendResult | SidecarError] | None:
        """The common case, every event new: one INSERT ... DO NOTHING, no lookups. None: not that case."""
        total = sum(len(p.events) for p in group)
        if total > self.settings.max_pending_events - self._pending_events:
            return None
        if len({e.event_id for p in group for e in p.events}) != total:
            return None
        now_ms = int(self.clock.now() * 1000)
        rows, rolled = self._rows([e for p in group for e in p.events], now_ms)
        try:
            async with self._transaction():
                before = self.db.total_changes
                await self.db.executemany(_INSERT_EVENT + " ON CONFLICT (event_id) DO NOTHING", rows)
                if self.db.total_changes - before != len(rows):
                    raise _KnownIds()  # some ids were seen before: roll back, take the checked path
                await self._add_counter("rolled_forward_events", rolled)
                crash_point("ingest-before-commit")
        except _KnownIds:
            return None
        crash_point("ingest-after-commit")
        self.ingest_commits += 1
        self._pending_events += len(rows)
        return [AppendResult(len(p.events), 0, (False,) * len(p.events)) for p in group]

    async def _commit_checked(self, group: list[_Pending]) -> list[AppendResult | SidecarError]:
        """Repeats, conflicts and the buffer cap, decided request by request against stored fingerprints."""
        results: list[AppendResult | SidecarError] = []
        known = await self._known_fingerprints(e.event_id for p in group for e in p.events)
        accepted: list[UsageEvent] = []
        budget = self.settings.max_pending_events - self._pending_events
        for pending in group:
            outcome = self._admit(pending.events, known)
            if not isinstance(outcome, tuple):
                results.append(outcome)
                continue
            result, new = outcome
            if len(new) > budget:
                results.append(StorageFull(
                    f"buffer full: {self._pending_events} events await shipping "
                    f"(cap {self.settings.max_pending_events}); retry later"
                ))  # fmt: skip
                continue
            budget -= len(new)
            for event in new:
                known[event.event_id] = event.fingerprint
            accepted.extend(new)
            results.append(result)
        if accepted:
            rows, rolled = self._rows(accepted, int(self.clock.now() * 1000))
            async with self._transaction():
                await self.db.executemany(_INSERT_EVENT, rows)
                await self._add_counter("rolled_forward_events", rolled)
                crash_point("ingest-before-commit")
            crash_point("ingest-after-commit")
            self.ingest_commits += 1
            self._pending_events += len(rows)
        return results

    async def _known_fingerprints(self, ids: Iterable[str]) -> dict[str, str]:
        unique = list(dict.fromkeys(ids))
        known: dict[str, str] = {}
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = await self.db.execute_fetchall(
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
        flags: list[bool] = []
        for index, event in enumerate(events):
            previous = seen.get(event.event_id)
            if previous is None:
                seen[event.event_id] = event.fingerprint
                new.append(event)
                flags.append(False)
            elif previous == event.fingerprint:
                flags.append(True)
            else:
                return ConflictingEvent(event.event_id, index if len(events) > 1 else None)
        return AppendResult(len(new), len(events) - len(new), tuple(flags)), new

    def _rows(self, events: Sequence[UsageEvent], now_ms: int) -> tuple[list[tuple[Any, ...]], int]:
        window, watermark = self.settings.window_seconds, self._watermark
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
                event_ms, start, tags_json(event.tags), now_ms, was_rolled,
            ))  # fmt: skip
        return rows, rolled

    def _mark_healthy(self) -> None:
        if not self.healthy:
            log.info("storage recovered")
        self.healthy = True
        self.last_error = ""

    def _mark_unhealthy(self, message: str) -> None:
        if self.healthy:
            log.error("storage failing", extra={"fields": {"error": message}})
        self.healthy = False
        self.last_error = message

    async def set_max_db_bytes(self, size: int) -> None:
        """Change the disk budget (--max-db-bytes) at run time."""
        page = int(await self._scalar("PRAGMA page_size"))
        await self.db.execute(f"PRAGMA max_page_count={max(1, size // page)}")

    async def has_room(self) -> bool:
        """Return whether the database can grow by a safety reserve (disk and --max-db-bytes)."""
        reserve = ROOM_RESERVE_BYTES
        if self.settings.max_db_bytes:
            reserve = min(reserve, self.settings.max_db_bytes // 10)
            page = int(await self._scalar("PRAGMA page_size"))
            used = int(await self._scalar("PRAGMA page_count")) - int(
                await self._scalar("PRAGMA freelist_count")
            )
            if (int(await self._scalar("PRAGMA max_page_count")) - used) * page < reserve:
                return False
        return await asyncio.to_thread(_disk_has_room, self.path, reserve)

    async def probe(self) -> bool:
        """After a failure: when there is room again, try a tiny write so the store can recover."""
        try:
            if not await self.has_room():
                return False
            async with self._lock, self._transaction():
                await self._set_meta({"probe_ms": str(int(time.time() * 1000))})
            self._mark_healthy()
        except (SidecarError, sqlite3.Error):
            pass
        return self.healthy

    # -- sealing -------------------------------------------------------------------------------------

    def watermark_for(self, now: float, close_delay: float) -> int:
        """Return the watermark that ``now`` allows: windows that ended ``close_delay`` ago are sealed."""
        window = self.settings.window_seconds
        return math.floor((now - close_delay) / window) * window

    async def seal(self, now: float, close_delay: float, *, everything: bool = False) -> SealResult:
        """Seal every closed window into one frozen record per key (I3, I4) in one transaction.

        ``everything`` also seals the open window (shutdown), moving the watermark past it.
        """
        window = self.settings.window_seconds
        target = self.watermark_for(now, close_delay)
        async with self._lock:
            if everything:
                # The open window, and after a fresh start the next one, which holds rolled usage.
                newest = await self._scalar("SELECT MAX(window_start) FROM events WHERE record_id IS NULL")
                target = max(target, (math.floor(now / window) + 1) * window, int(newest or 0) + window)
            if target <= self._watermark:
                return SealResult(0, 0)
            async with self._transaction():
                rolled = await self._roll_overflow(target)
                built, events, folded, skipped = await self._build_records(target, now)
                await self.db.execute(
                    f"UPDATE events SET record_id = (SELECT r.id FROM records r WHERE "
                    f"({', '.join('r.' + c for c in _KEY.split(', '))}) = "
                    f"({', '.join('events.' + c for c in _KEY.split(', '))})) "
                    "WHERE record_id IS NULL AND window_start < ?",
                    (target,),
                )
                await self._set_meta({"watermark": str(target)})
                await self._add_counter("rolled_forward_events", rolled)
                crash_point("seal-before-commit")
            self._watermark = target
            self._pending_events -= skipped
        if built:
            log.info(
                "sealed windows",
                extra={"fields": {"records": built, "events": events, "sealed_through": target}},
            )
        return SealResult(built, events, folded, rolled)

    async def _roll_overflow(self, target: int) -> int:
        # A sum past AWS's Quantity limit rolls the whole events that pass it into the next open window.
        rows = await self.db.execute_fetchall(
            f"SELECT seq FROM (SELECT seq, SUM(quantity) OVER (PARTITION BY {_KEY} "
            "ORDER BY event_ms, seq ROWS UNBOUNDED PRECEDING) AS running "
            "FROM events WHERE record_id IS NULL AND window_start < ?) WHERE running > ?",
            (target, MAX_QUANTITY),
        )
        seqs = [int(r[0]) for r in rows]
        for start in range(0, len(seqs), _CHUNK):
            chunk = seqs[start : start + _CHUNK]
            await self.db.execute(
                f"UPDATE events SET window_start = ?, rolled = 1 WHERE seq IN ({','.join('?' * len(chunk))})",
                (target, *chunk),
            )
        return len(seqs)

    async def _build_records(self, target: int, now: float) -> tuple[int, int, int, int]:
        # A record is never sent before its own timestamp: AWS refuses future usage.
        built = events = folded = skipped = 0
        current: tuple[Any, ...] | None = None
        groups: list[TagGroup] = []
        rows_to_insert: list[tuple[Any, ...]] = []
        sealed_ms = int(now * 1000)

        def flush() -> None:
            nonlocal built, events, folded, skipped
            if current is None:
                return
            product, license_arn, customer_field, customer, dimension, window_start = current
            record = build_record(
                customer_field=customer_field, customer=customer, dimension=dimension,
                license_arn=license_arn, window_start=window_start, groups=groups,
            )  # fmt: skip
            expires = record.timestamp_s + self.expiry_after
            state = RecordState.SKIPPED if window_start < self.settings.ship_from else RecordState.PENDING
            if state is RecordState.SKIPPED:
                skipped += record.events
            rows_to_insert.append((
                product, license_arn, customer_field, customer, dimension, window_start,
                record.timestamp_s, record.quantity, record.first_event_ms, record.events,
                record.request_json, max(now, record.timestamp_s), expires, sealed_ms,
                record.folded_tag_sets, str(state),
            ))  # fmt: skip
            built += 1
            events += record.events
            folded += record.folded_tag_sets

        async with self.db.execute(
            f"SELECT {_KEY}, tags, SUM(quantity), MIN(event_ms), COUNT(*) FROM events "
            f"WHERE record_id IS NULL AND window_start < ? GROUP BY {_KEY}, tags ORDER BY {_KEY}, tags",
            (target,),
        ) as cursor:
            async for row in cursor:
                key = tuple(row[:6])
                if key != current:
                    flush()
                    current, groups = key, []
                groups.append(TagGroup(str(row[6]), int(row[7]), int(row[8]), int(row[9])))
                if len(rows_to_insert) >= 500:
                    await self._insert_records(rows_to_insert)
                    rows_to_insert = []
        flush()
        await self._insert_records(rows_to_insert)
        return built, events, folded, skipped

    async def _insert_records(self, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            await self.db.executemany(
                f"INSERT INTO records ({_KEY}, timestamp_s, quantity, first_event_ms, event_count, "
                "request_json, next_attempt_s, expires_s, sealed_ms, folded_tag_sets, state) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    # -- shipping state ------------------------------------------------------------------------------

    async def due_records(self, now: float, limit: int = 10_000) -> list[Record]:
        """Return pending records whose next attempt is due, grouped by product."""
        rows = await self.db.execute_fetchall(
            "SELECT id, product, license_arn, request_json, attempts, expires_s FROM records "
            "WHERE state = 'pending' AND next_attempt_s <= ? ORDER BY product, license_arn != '', id LIMIT ?",
            (now, limit),
        )
        return [Record(int(r[0]), str(r[1]), bool(r[2]), str(r[3]), int(r[4]), float(r[5])) for r in rows]

    async def expire(self, now: float) -> list[int]:
        """Dead-letter pending records about to pass AWS's maximum age (I6); return their ids."""
        async with self._lock, self._transaction():
            rows = await self.db.execute_fetchall(
                "UPDATE records SET state = 'dead', reason = 'expired', finished_ms = ?, "
                "message = 'not confirmed by AWS before the maximum record age' "
                "WHERE state = 'pending' AND expires_s <= ? RETURNING id, event_count",
                (int(now * 1000), now),
            )
        self._pending_events -= sum(int(r[1]) for r in rows)
        return [int(r[0]) for r in rows]

    async def apply(self, outcomes: Sequence[RecordOutcome], now: float) -> None:
        """Store the result of one shipping attempt for each record."""
        if not outcomes:
            return
        now_ms = int(now * 1000)
        settled = 0
        async with self._lock, self._transaction():
            for o in outcomes:
                if o.outcome is Outcome.BILLED:
                    rows = await self.db.execute_fetchall(
                        "UPDATE records SET state = 'billed', metering_record_id = ?, finished_ms = ?, "
                        "attempts = attempts + 1 WHERE id = ? AND state IN ('pending', 'handed') RETURNING event_count",
                        (o.metering_record_id, now_ms, o.record_id),
                    )
                elif o.outcome is Outcome.DEAD:
                    rows = await self.db.execute_fetchall(
                        "UPDATE records SET state = 'dead', reason = ?, message = ?, finished_ms = ?, "
                        "attempts = attempts + 1 WHERE id = ? AND state IN ('pending', 'handed') RETURNING event_count",
                        (o.reason, o.message, now_ms, o.record_id),
                    )
                else:
                    rows = []
                    await self.db.execute(
                        "UPDATE records SET attempts = attempts + 1, next_attempt_s = ?, message = ? "
                        "WHERE id = ? AND state = 'pending'",
                        (o.retry_at, o.message or None, o.record_id),
                    )
                settled += sum(int(r[0]) for r in rows)
            if any(o.outcome is Outcome.BILLED for o in outcomes):
                await self._set_meta({"last_shipment_ms": str(now_ms)})
        self._pending_events -= settled

    # -- reading -------------------------------------------------------------------------------------

    async def status(self) -> Status:
        """Return the counters GetStatus reports."""
        counts = {
            str(r[0]): int(r[1])
            for r in await self.db.execute_fetchall("SELECT state, COUNT(*) FROM records GROUP BY state")
        }
        oldest = await self._scalar(
            "SELECT MIN(t) FROM (SELECT MIN(event_ms) AS t FROM events WHERE record_id IS NULL "
            "UNION ALL SELECT MIN(first_event_ms) FROM records WHERE state IN ('pending', 'handed'))"
        )
        rolled = await self._meta("rolled_forward_events")
        last = await self._meta("last_shipment_ms")
        open_dead = await self._scalar(
            "SELECT COUNT(*) FROM records WHERE state = 'dead' AND discarded_ms IS NULL"
        )
        return Status(
            pending_events=await self._count_pending_events(),
            pending_records=counts.get(RecordState.PENDING, 0),
            billed_records=counts.get(RecordState.BILLED, 0),
            dead_letter_records=counts.get(RecordState.DEAD, 0),
            rolled_forward_events=int(rolled or 0),
            oldest_pending_event=None if oldest is None else int(oldest) / 1000,
            sealed_through=float(self._watermark),
            last_shipment=None if last is None else int(last) / 1000,
            open_dead_letter_records=int(open_dead),
            skipped_records=counts.get(RecordState.SKIPPED, 0),
        )

    def _settled(self, events: int) -> None:
        self._pending_events -= events

    @property
    def expiry_after(self) -> float:
        """Return how long after its timestamp a record is dead-lettered as expired."""
        return self.settings.max_record_age - self.settings.expiry_margin

    @property
    def pending_events(self) -> int:
        """Return the in-memory count of acknowledged, unsettled events (used for the buffer cap)."""
        return self._pending_events

    async def prune(self, now: float) -> int:
        """Drop billed events past the id retention and billed records past the audit retention."""
        id_cutoff = int((now - self.settings.id_retention_seconds) * 1000)
        audit_cutoff = int((now - self.settings.audit_retention_seconds) * 1000)
        async with self._lock, self._transaction():
            cursor = await self.db.execute(
                "DELETE FROM events WHERE seq IN (SELECT e.seq FROM events e JOIN records r "
                "ON r.id = e.record_id WHERE r.state = 'billed' AND e.received_ms < ? LIMIT 50000)",
                (id_cutoff,),
            )
            removed = cursor.rowcount
            await self.db.execute(
                "DELETE FROM records WHERE state = 'billed' AND finished_ms < ? "
                "AND NOT EXISTS (SELECT 1 FROM events e WHERE e.record_id = records.id)",
                (audit_cutoff,),
            )
        return max(removed, 0)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, mapping SQLite failures to StorageFull/StorageError."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def __aenter__(self) -> None:
        try:
            await self.store.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._map(exc) from exc

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        db = self.store.db
        if et is None:
            try:
                await db.execute("COMMIT")
                return
            except sqlite3.Error as exc:
                await self._rollback()
                raise self._map(exc) from exc
        await self._rollback()
        if isinstance(e, sqlite3.Error):
            raise self._map(e) from e

    async def _rollback(self) -> None:
        try:
            await self.store.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite already rolled back (for example after SQLITE_FULL)

    def _map(self, exc: sqlite3.Error) -> SidecarError:
        code = getattr(exc, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_FULL:
            message = "disk full: the database cannot grow; free space or raise --max-db-bytes"
            self.store._mark_unhealthy(message)
            return StorageFull(message)
        message = f"database error: {exc}"
        self.store._mark_unhealthy(message)
        return StorageError(message)


def _damaged(path: str, detail: str) -> str:
    return (
        f"the database {path} is damaged ({detail}). The sidecar will not start on it and has not "
        "changed it. It may hold unbilled usage: copy it aside (with its -wal file) for recovery, "
        "e.g. `sqlite3 FILE .recover > dump.sql`, then start with a new --db path"
    )


def _has_content(path: str) -> bool:
    file = Path(path)
    return file.exists() and file.stat().st_size > 0


def _disk_has_room(path: str, reserve: int) -> bool:
    return shutil.disk_usage(Path(path).resolve().parent).free >= reserve

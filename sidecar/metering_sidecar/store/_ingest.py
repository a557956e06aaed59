"""Ingest: appends queue up and share group commits; every acknowledged event is committed and fsynced.

One writer task takes everything queued while the last commit ran and writes it in one transaction,
run BEGIN to COMMIT in one hand-off to the database thread. The common case, every event new and room
under the cap, is multi-row ``INSERT ... ON CONFLICT DO NOTHING`` over rows built before the write
lock was taken. Repeats, conflicts and the buffer cap take the checked path, request by request.

Commit delay (``--commit-delay-seconds``, 3 ms by default), after PostgreSQL's ``commit_delay`` with
``commit_siblings``: when a commit shared by at least ``COMMIT_SIBLINGS`` callers ended moments ago
(many callers are arriving at once), the writer waits up to that long before taking the next group, in
slices of ``COMMIT_DELAY_SLICE_SECONDS``, and stops as soon as a slice brings no one new. Fewer, larger
commits cost the database thread and the event loop less per call, which pays when many callers keep a
small machine's cores busy (64 callers on 2 cores: a seventh to a third more calls a second). A few
callers, each waiting on every commit, would only wait longer (2 to 8 callers lost up to 40% when any
shared commit engaged the delay): a group is never larger than the callers there are, so fewer than
``COMMIT_SIBLINGS`` never engage it. To find out whether many are there, the writer probes at most once
every ``_RECENT`` delays: with two or more appends queued, it waits as if engaged, and a group of
``COMMIT_SIBLINGS`` or more engages the delay. A caller alone, or one sending batches one after another
(no commit of ``COMMIT_SIBLINGS`` in the last ``_RECENT`` delays), never waits; "callers" are calls in
flight, so one client with many concurrent calls counts as many. Nothing is acknowledged before its
commit, so durability is unchanged (BENCHMARKS.md, "Where the time goes"; ``--commit-delay-seconds 0``
turns it off).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

from metering_sidecar.core import (
    DERIVED,
    AppendResult,
    Clock,
    ConflictingEvent,
    Content,
    SidecarError,
    StorageError,
    UsageEvent,
    content,
    crash_point,
    same_content,
)
from metering_sidecar.store._backlog import Backlog
from metering_sidecar.store._database import ADD_COUNTER, Database
from metering_sidecar.store._event_insert import NEW_ONLY, insert_parts
from metering_sidecar.store._rows import EventRow, event_row, roll_forward
from metering_sidecar.store._sealing import SealedThrough
from metering_sidecar.store._settings import CHUNK, StoreSettings, log

# Measured on the bench's 64 callers (2 cores) with a 3 ms delay: groups of about 4 became about 14 and the
# database thread's CPU a call fell by a third; 1, 2, 3 and 5 ms were tried.
COMMIT_DELAY_SLICE_SECONDS = 0.001
# Measured the same way, against the delay engaged by any shared commit: 9 kept its gain at 32 and 64 callers
# (0.90x of the no-op ceiling at 64, as engaging always) and lost nothing beyond the noise at 2, 8 and 16
# (12: 0.83x at 64).
COMMIT_SIBLINGS = 9
_RECENT = 30  # a shared commit that ended longer than 30 delays ago says nothing about now


@dataclass
class Pending:
    """An append waiting for the next group commit."""

    rows: Sequence[EventRow]  # a list, or SharedRows for a batch of common events
    future: asyncio.Future[AppendResult]


# What a damaged DERIVED row stands for: not a hash, so it matches no event (core/_fingerprint.py).
_DAMAGED = "damaged DERIVED row"


class _KnownIds(Exception):
    """Raised inside the fast path's transaction to roll it back."""


class Ingest:
    """append() and the group-commit writer; the backlog decides what the buffer cap admits."""

    def __init__(
        self,
        database: Database,
        backlog: Backlog,
        sealed: SealedThrough,
        window_seconds: int,
        clock: Clock,
        *,
        commit_delay: float = StoreSettings.commit_delay,
        commit_delay_slice: float = COMMIT_DELAY_SLICE_SECONDS,
        commit_siblings: int = COMMIT_SIBLINGS,
    ) -> None:
        self._database = database
        self._backlog = backlog
        self._sealed = sealed
        self.window_seconds = window_seconds
        self.clock = clock
        self._queue: list[Pending] = []
        self._writer: asyncio.Task[None] | None = None
        self._commit_delay = commit_delay
        self._slice = commit_delay_slice
        self._siblings = commit_siblings
        self._shared_at: float | None = None  # loop time the last commit shared by _siblings or more ended
        self._probe_after = 0.0  # loop time before which the writer does not probe again
        self.commits = 0  # group commits made (exported as ingest_commits_total)
        self.delayed = 0  # times the writer waited before taking a group (ingest_delayed_commits_total)

    async def append(self, events: Sequence[UsageEvent]) -> AppendResult:
        """Store ``events`` all or nothing; return once they are committed and fsynced (I1, I8)."""
        received_ms = round(self.clock.now() * 1000)
        window = self.window_seconds
        return await self.append_rows([event_row(e, window, received_ms) for e in events])

    async def append_rows(self, rows: Sequence[EventRow]) -> AppendResult:
        """Store rows built by ``event_row`` (or the same rows built another way, SharedRows among them),
        as ``append``. A row's fingerprint may be ``DERIVED`` (core/_fingerprint.py).

        Each row's ``window_start`` is its event's own window under ``window_seconds``; a row whose
        window is sealed by the time it commits is moved forward then (I5).
        """
        future: asyncio.Future[AppendResult] = asyncio.get_running_loop().create_future()
        self._queue.append(Pending(rows, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_loop(), name="store-writer")
            self._writer.add_done_callback(self._writer_ended)
        return await future

    def _writer_ended(self, writer: asyncio.Task[None]) -> None:
        # A writer that ends normally leaves no append behind. One cancelled (the loop is closing) or failed
        # before it took the queued appends (before its first step, in the commit delay, or while
        # committing the group before them) answers them with an error, not a wait without end; the next
        # append starts a new writer.
        ended = asyncio.CancelledError() if writer.cancelled() else writer.exception()
        if ended is None:
            return
        if not isinstance(ended, asyncio.CancelledError):
            log.error("the store's writer failed", exc_info=ended)
        if writer is self._writer and self._queue:
            queued, self._queue = self._queue, []
            _answer(queued, [_error_for(ended)] * len(queued))

    async def drain(self) -> None:
        """Wait for queued appends to be committed (before closing the database). A writer that failed
        earlier was logged and its callers answered then: draining does not raise it again."""
        if self._writer is not None and not self._writer.done():
            await asyncio.wait([self._writer])  # not cancelled if this wait is

    async def _write_loop(self) -> None:
        # Group commit: whatever queued up while the last commit ran shares the next one.
        while self._queue:
            await self._gather()
            group, self._queue = self._queue, []
            try:
                async with self._database.write_lock:
                    await self._commit_group(group)
                if len(group) >= self._siblings:
                    self._shared_at = asyncio.get_running_loop().time()
            except BaseException as exc:
                # Cancelled (the loop is closing) or failed: these callers get an error, so nothing is
                # acknowledged; _writer_ended answers those still queued and logs a failure.
                _answer(group, [_error_for(exc)] * len(group))
                raise

    async def _gather(self) -> None:
        """The commit delay: after a recent commit of many, or to probe, wait while callers keep arriving."""
        if not self._commit_delay:
            return  # off
        loop = asyncio.get_running_loop()
        now, recent = loop.time(), _RECENT * self._commit_delay
        if self._shared_at is None or now - self._shared_at >= recent:
            # Not engaged: probe whether many callers are there, at most once every `recent`, and only when
            # appends are already queued together (a lone caller never waits).
            if len(self._queue) < 2 or now < self._probe_after:
                return
            self._probe_after = now + recent
        self.delayed += 1
        seen, deadline = len(self._queue), now + self._commit_delay
        while True:
            await asyncio.sleep(min(self._slice, max(0.0, deadline - loop.time())))
            if len(self._queue) == seen or loop.time() >= deadline:
                return  # no one new in a slice (whoever is coming is here), or the delay is over
            seen = len(self._queue)

    async def _commit_group(self, group: list[Pending]) -> None:
        try:
            results = await self._commit_new(group)
            if results is None:
                results = await self._commit_checked(group)
            self._database.mark_healthy()
        except SidecarError as exc:
            results = [exc] * len(group)
        _answer(group, results)

    async def _commit_new(self, group: list[Pending]) -> list[AppendResult | SidecarError] | None:
        """The common case, every event new: one INSERT ... DO NOTHING, no lookups. None: not that case."""
        count = sum(len(pending.rows) for pending in group)
        if not self._backlog.admits(count):
            return None
        parts, rolled = _rolled_forward([pending.rows for pending in group], self._sealed.watermark)
        try:
            await self._database.write(partial(_insert_new, parts, count, rolled))
        except _KnownIds:
            return None  # some ids were seen before (or repeat within the group): rolled back
        crash_point("ingest-after-commit")
        self.commits += 1
        self._backlog.add(count)
        return [AppendResult(len(p.rows), 0) for p in group]

    async def _commit_checked(self, group: list[Pending]) -> list[AppendResult | SidecarError]:
        """Repeats, conflicts and the buffer cap, decided request by request against stored fingerprints."""
        results: list[AppendResult | SidecarError] = []
        known = await self._known_fingerprints(row[0] for p in group for row in p.rows)
        accepted: list[EventRow] = []
        budget = self._backlog.room()
        for pending in group:
            outcome = self._admit(pending.rows, known)
            if not isinstance(outcome, tuple):
                results.append(outcome)
                continue
            result, new, contents = outcome
            if len(new) > budget:
                results.append(self._backlog.refusal())
                continue
            budget -= len(new)
            known.update(contents)
            accepted.extend(new)
            results.append(result)
        if accepted:
            rows, rolled = roll_forward(accepted, self._sealed.watermark)
            await self._database.write(partial(_insert, [rows], rolled))
            crash_point("ingest-after-commit")
            self.commits += 1
            self._backlog.add(len(rows))
        return results

    async def _known_fingerprints(self, ids: Iterable[str]) -> dict[str, Content]:
        """What the stored fingerprints of those ids that are stored stand for (``content``)."""
        unique = list(dict.fromkeys(ids))
        known: dict[str, Content] = {}
        for start in range(0, len(unique), CHUNK):
            chunk = unique[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = await self._database.conn.execute_fetchall(
                "SELECT event_id, fingerprint, customer, dimension, quantity FROM events "
                f"WHERE event_id IN ({marks})",
                chunk,
            )
            known.update((str(r[0]), _stored_content(*r)) for r in rows)
        return known

    @staticmethod
    def _admit(
        rows: Sequence[EventRow], known: dict[str, Content]
    ) -> tuple[AppendResult, list[EventRow], dict[str, Content]] | SidecarError:
        """One request against what is known (stored, or accepted earlier in the group): its result, its new
        rows and their contents; or the conflict that refuses it whole. ``known`` is only read: copying it
        for each request would cost a retry storm's group time quadratic in its size."""
        own: dict[str, Content] = {}  # this request's new ids
        new: list[EventRow] = []
        for index, row in enumerate(rows):
            event_id, fingerprint = row[0], _content(row)
            previous = own.get(event_id)
            if previous is None:
                previous = known.get(event_id)
            if previous is None:
                own[event_id] = fingerprint
                new.append(row)
            elif not same_content(previous, fingerprint):
                return ConflictingEvent(event_id, index if len(rows) > 1 else None)
        return AppendResult(len(new), len(rows) - len(new)), new, own


def _error_for(ended: BaseException) -> StorageError:
    """What callers hear from a writer cancelled (the loop is closing) or failed before answering them."""
    if isinstance(ended, asyncio.CancelledError):
        return StorageError("the store closed before this commit was confirmed")
    return StorageError(f"the store's writer failed ({type(ended).__name__}); the sidecar's log has it")


def _answer(group: list[Pending], results: Sequence[AppendResult | BaseException]) -> None:
    for pending, answer in zip(group, results, strict=True):
        if pending.future.done():
            continue
        if isinstance(answer, BaseException):
            pending.future.set_exception(answer)
        else:
            pending.future.set_result(answer)


def _stored_content(
    event_id: object, fingerprint: object, customer: object, dimension: object, quantity: object
) -> Content:
    """What a stored fingerprint stands for. The columns are read only for DERIVED, and only as the types
    ingest writes: a row damaged by hand (a quantity as text, say) is other content, so a retry of its id is
    refused as a conflict, never taken for a repeat and never a failed writer."""
    if fingerprint != DERIVED:
        return str(fingerprint)
    if type(event_id) is str and type(customer) is str and type(dimension) is str and type(quantity) is int:
        return (event_id, customer, dimension, quantity)
    return _DAMAGED


def _content(row: EventRow) -> Content:
    """What the row's fingerprint stands for (core/_fingerprint.py)."""
    return content(row[1], row[0], row[5], row[6], row[7])


def _rolled_forward(parts: list[Sequence[EventRow]], watermark: int) -> tuple[list[Sequence[EventRow]], int]:
    """roll_forward for each part: the parts to insert and how many rows moved in all."""
    moved = [roll_forward(part, watermark) for part in parts]
    return [part for part, _ in moved], sum(count for _, count in moved)


# These run on the database thread, inside Database.write's transaction.


def _insert_new(parts: list[Sequence[EventRow]], count: int, rolled: int, db: sqlite3.Connection) -> None:
    before = db.total_changes
    insert_parts(db, parts, NEW_ONLY)
    if db.total_changes - before != count:
        raise _KnownIds()  # some ids were stored before: roll back, take the checked path
    _finish(db, rolled)


def _insert(parts: list[Sequence[EventRow]], rolled: int, db: sqlite3.Connection) -> None:
    insert_parts(db, parts, "")
    _finish(db, rolled)


def _finish(db: sqlite3.Connection, rolled: int) -> None:
    if rolled:
        db.execute(ADD_COUNTER, ("rolled_forward_events", str(rolled)))
    crash_point("ingest-before-commit")

"""Sealing: closed windows become one frozen record per key, in one transaction (I3, I4, I5).

Sealing owns the watermark, the start of the earliest window not yet sealed. Ingest reads it through
the read-only ``SealedThrough`` view to roll late usage forward; only seal() and load() move it.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from metering_sidecar.core import Clock, ConfigError, RecordState, SealResult, crash_point
from metering_sidecar.store._backlog import Backlog
from metering_sidecar.store._database import Database
from metering_sidecar.store._settings import CHUNK, KEY, StoreSettings, log, targets_for
from metering_sidecar.targets import RecordKey, TagGroup, TargetRegistry, build_record

# TagGroup and build_record lived here before the AWS record builder moved to the AWS target.
__all__ = ["SealedThrough", "Sealing", "TagGroup", "build_record"]


class SealedThrough(Protocol):
    """What ingest may know of sealing: where the unsealed windows begin."""

    @property
    def watermark(self) -> int: ...


class Sealing:
    """seal(), the record building behind it, and the watermark it moves."""

    def __init__(
        self,
        database: Database,
        backlog: Backlog,
        settings: StoreSettings,
        clock: Clock,
        targets: TargetRegistry | None = None,
    ) -> None:
        self._database = database
        self._backlog = backlog
        self.settings = settings
        self.clock = clock
        self.targets = targets_for(settings, targets)
        self._watermark = 0

    @property
    def watermark(self) -> int:
        """Return the start of the earliest window not yet sealed (every earlier one is sealed)."""
        return self._watermark

    async def load(self) -> None:
        """Check the stored window length and read the watermark (on open; a new database gets one)."""
        window = self.settings.window_seconds
        stored_window = await self._database.meta("window_seconds")
        if stored_window is None:
            # A new database treats the current window as sealed: a replacement pod must never send a
            # second record for an hour its predecessor may already have shipped (docs/architecture.md,
            # Time). In cluster mode the ledger rolls a late contribution forward instead.
            now = self.clock.now()
            watermark = math.floor(now / window) * window
            if self.settings.fresh_start_seals_current_window:
                watermark += window
            async with self._database.write_lock:
                await self._database.set_meta_txn(
                    {"window_seconds": str(window), "watermark": str(watermark)}
                )
        elif int(stored_window) != window:
            raise ConfigError(
                f"--window-seconds: {self._database.path} was written with --window-seconds {stored_window}, "
                f"not {window}, and windows cannot change under a database that holds records. Start again "
                f"with --window-seconds {stored_window}; to change it, let that run ship everything "
                f"(GetStatus pending_events 0), then use the new value with a new --db"
            )
        self._watermark = int(await self._database.meta("watermark") or 0)

    def watermark_for(self, now: float, close_delay: float) -> int:
        """Return the watermark that ``now`` allows: windows that ended ``close_delay`` ago are sealed."""
        window = self.settings.window_seconds
        return math.floor((now - close_delay) / window) * window

    async def seal(self, now: float, close_delay: float, *, everything: bool = False) -> SealResult:
        """Seal every closed window into one frozen record per key (I3, I4) in one transaction.

        ``everything`` also seals the open window, the one holding ``now`` (shutdown). A window that
        starts after ``now`` is never sealed (I9): after a fresh start or an earlier restart in the same
        window, usage waits there for the next process, so N restarts move it at most one window.
        """
        window = self.settings.window_seconds
        target = self.watermark_for(now, close_delay)
        if everything:
            target = max(target, (math.floor(now / window) + 1) * window)
        async with self._database.write_lock:
            if target <= self._watermark:
                return SealResult(0, 0)
            async with self._database.transaction():
                # The stored watermark, not the cached one, decides (I10): whatever the file holds,
                # sealing can go on.
                watermark = int(await self._database.meta("watermark") or 0)
                if target <= watermark:
                    self._watermark = watermark
                    return SealResult(0, 0)
                rolled = await self._roll_into_unsealed(watermark, target)
                rolled += await self._roll_overflow(target)
                built, events, folded, skipped = await self._build_records(target, now)
                await self._database.conn.execute(
                    f"UPDATE events SET record_id = (SELECT r.id FROM records r WHERE "
                    f"({', '.join('r.' + c for c in KEY.split(', '))}) = "
                    f"({', '.join('events.' + c for c in KEY.split(', '))})) "
                    "WHERE record_id IS NULL AND window_start < ?",
                    (target,),
                )
                await self._database.set_meta({"watermark": str(target)})
                await self._database.add_counter("rolled_forward_events", rolled)
                crash_point("seal-before-commit")
            self._watermark = target
            self._backlog.settle(skipped)
        if built:
            log.info(
                "sealed windows",
                extra={"fields": {"records": built, "events": events, "sealed_through": target}},
            )
        return SealResult(built, events, folded, rolled)

    async def _roll_into_unsealed(self, watermark: int, target: int) -> int:
        # Events for sealed windows (written by a process whose cached watermark was stale) roll into
        # the earliest unsealed window (I5), and so does usage whose key and window already has a
        # record: a second record for it would be refused by AWS, and by the UNIQUE key here. Rolled
        # events are marked 2 first, so an event moved twice is counted once.
        cursor = await self._database.conn.execute(
            "UPDATE events SET window_start = ?, rolled = 2 WHERE record_id IS NULL AND window_start < ?",
            (watermark, watermark),
        )
        moved = max(cursor.rowcount, 0)
        # Records only exist below the watermark unless the file was written by two processes at once.
        if await self._database.scalar("SELECT 1 FROM records WHERE window_start >= ? LIMIT 1", (watermark,)):
            cursor = await self._database.conn.execute(
                f"UPDATE events SET window_start = ?, rolled = 2 WHERE record_id IS NULL AND window_start < ? "
                f"AND EXISTS (SELECT 1 FROM records r WHERE ({', '.join('r.' + c for c in KEY.split(', '))}) = "
                f"({', '.join('events.' + c for c in KEY.split(', '))}))",
                (target, target),
            )
            moved += max(cursor.rowcount, 0)
        if not moved:
            return 0
        cursor = await self._database.conn.execute(
            "UPDATE events SET rolled = 1 WHERE record_id IS NULL AND rolled = 2"
        )
        return max(cursor.rowcount, 0)

    async def _roll_overflow(self, target: int) -> int:
        # A sum past a marketplace's limit (AWS: a 32-bit Quantity) rolls the whole events that pass it
        # into the next open window.
        # When all of a marketplace's unsealed usage together stays within its limit and no quantity is
        # negative, no key's sum can pass it: one pass over the unsealed events (the partial index and a
        # row lookup each) instead of sorting them all by key, which was a third of sealing's time.
        # TOTAL adds in a double that never overflows; rounding never lowers a sum of non-negative values,
        # and every limit is below 2**53, where doubles are exact, so "within" is never wrongly true.
        # The running sum is a TOTAL too: an integer SUM past 2**63 would fail the seal on every pass.
        seqs: list[int] = []
        for marketplace in self.targets:
            fields = sorted(marketplace.customer_fields)
            marks = ",".join("?" * len(fields))
            unsealed = f"record_id IS NULL AND window_start < ? AND customer_field IN ({marks})"
            [(total, lowest)] = await self._database.conn.execute_fetchall(
                f"SELECT TOTAL(quantity), MIN(quantity) FROM events WHERE {unsealed}", (target, *fields)
            )  # an aggregate without GROUP BY: always one row, (0.0, None) when there are no events
            if lowest is None or (lowest >= 0 and total <= marketplace.max_record_units):
                continue
            rows = await self._database.conn.execute_fetchall(
                f"SELECT seq FROM (SELECT seq, TOTAL(quantity) OVER (PARTITION BY {KEY} "
                f"ORDER BY event_ms, seq ROWS UNBOUNDED PRECEDING) AS running FROM events WHERE {unsealed}) "
                "WHERE running > ?",
                (target, *fields, marketplace.max_record_units),
            )
            seqs.extend(int(r[0]) for r in rows)
        for start in range(0, len(seqs), CHUNK):
            chunk = seqs[start : start + CHUNK]
            await self._database.conn.execute(
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
            key = RecordKey(*current)
            marketplace = self.targets.for_field(key.customer_field)
            record = marketplace.encode(key, groups)
            expires = record.timestamp_s + self.targets.expiry_after(marketplace)
            # Skipped: sealed before --ship-from, or nothing the marketplace may be sent (Azure: a total of 0).
            skip = key.window_start < self.settings.ship_from or not record.sendable
            state = RecordState.SKIPPED if skip else RecordState.PENDING
            if state is RecordState.SKIPPED:
                skipped += record.events
            rows_to_insert.append((
                *key, record.timestamp_s, record.quantity, record.first_event_ms, record.events,
                record.request_json, max(now, record.timestamp_s), expires, sealed_ms,
                record.folded_tag_sets, str(state), marketplace.marketplace,
            ))  # fmt: skip
            built += 1
            events += record.events
            folded += record.folded_tag_sets

        async with self._database.conn.execute(
            f"SELECT {KEY}, tags, SUM(quantity), MIN(event_ms), COUNT(*) FROM events "
            f"WHERE record_id IS NULL AND window_start < ? GROUP BY {KEY}, tags ORDER BY {KEY}, tags",
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
            await self._database.conn.executemany(
                f"INSERT INTO records ({KEY}, timestamp_s, quantity, first_event_ms, event_count, "
                "request_json, next_attempt_s, expires_s, sealed_ms, folded_tag_sets, state, marketplace) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

"""The record ledger: which records are due, expiry into dead letters, each attempt's results, pruning."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence

from metering_sidecar.core import Outcome, Record, RecordOutcome, RecordState, Status
from metering_sidecar.store._backlog import Backlog
from metering_sidecar.store._database import Database
from metering_sidecar.store._settings import StoreSettings, log


class Ledger:
    """Sealed records and their states; what they settle is reported to the backlog after each commit."""

    def __init__(self, database: Database, backlog: Backlog, settings: StoreSettings) -> None:
        self._database = database
        self._backlog = backlog
        self.settings = settings

    async def due_records(
        self, now: float, limit: int = 10_000, *, exclude: Collection[str] = ()
    ) -> list[Record]:
        """Return pending records whose next attempt is due, grouped by product.

        ``exclude`` names marketplaces that take no calls for now (stopped, or not configured): their records
        would fill the page and leave none for the marketplaces that do.
        """
        skip = sorted(set(exclude))
        not_in = f"AND marketplace NOT IN ({', '.join('?' * len(skip))}) " if skip else ""
        # Under the write lock: the connection is shared, and a read outside it would see the rows of a
        # sealing transaction that has not committed yet (and may roll back) and ship them.
        async with self._database.write_lock:
            rows = await self._database.conn.execute_fetchall(
                "SELECT id, product, license_arn, request_json, attempts, expires_s, marketplace FROM records "
                f"WHERE state = 'pending' AND next_attempt_s <= ? {not_in}"
                "ORDER BY product, license_arn != '', id LIMIT ?",
                (now, *skip, limit),
            )
        return [
            Record(int(r[0]), str(r[1]), bool(r[2]), str(r[3]), int(r[4]), float(r[5]), str(r[6]))
            for r in rows
        ]

    async def make_due(self, now: float, *, exclude: Collection[str] = ()) -> int:
        """Make pending records waiting out a backoff due at ``now`` (the Flush RPC); return how many.

        Their attempts stay counted, so later backoffs keep growing. A record is never due before its own
        timestamp, and ``exclude``'s marketplaces (paused) keep their schedule.
        """
        skip = sorted(set(exclude))
        not_in = f"AND marketplace NOT IN ({', '.join('?' * len(skip))})" if skip else ""
        async with self._database.write_lock, self._database.transaction():
            cursor = await self._database.conn.execute(
                "UPDATE records SET next_attempt_s = ? "
                f"WHERE state = 'pending' AND next_attempt_s > ? AND timestamp_s <= ? {not_in}",
                (now, now, now, *skip),
            )
        return max(cursor.rowcount, 0)

    async def expire(self, now: float) -> list[int]:
        """Dead-letter pending records about to pass their marketplace's maximum age (I6); return their ids."""
        # A read first: most passes expire nothing, and a write would take the lock ingest commits under.
        rows = await self._database.conn.execute_fetchall(
            "SELECT 1 FROM records WHERE state = 'pending' AND expires_s <= ? LIMIT 1", (now,)
        )
        if not list(rows):
            return []
        async with self._database.write_lock, self._database.transaction():
            rows = await self._database.conn.execute_fetchall(
                "UPDATE records SET state = 'dead', reason = 'expired', finished_ms = ?, "
                "message = 'not confirmed by the marketplace before the maximum record age' "
                "WHERE state = 'pending' AND expires_s <= ? RETURNING id, event_count",
                (int(now * 1000), now),
            )
        self._backlog.settle(sum(int(r[1]) for r in rows))
        return [int(r[0]) for r in rows]

    async def apply(self, outcomes: Sequence[RecordOutcome], now: float) -> None:
        """Store the result of one shipping attempt for each record."""
        if not outcomes:
            return
        now_ms = int(now * 1000)
        settled = 0
        async with self._database.write_lock, self._database.transaction():
            for o in outcomes:
                if o.outcome is Outcome.BILLED:
                    rows = await self._database.conn.execute_fetchall(
                        "UPDATE records SET state = 'billed', metering_record_id = ?, finished_ms = ?, "
                        "attempts = attempts + 1 WHERE id = ? AND state IN ('pending', 'handed') RETURNING event_count",
                        (o.metering_record_id, now_ms, o.record_id),
                    )
                    if not rows:
                        await self._billed_after_expiry(o, now_ms)
                elif o.outcome is Outcome.DEAD:
                    rows = await self._database.conn.execute_fetchall(
                        "UPDATE records SET state = 'dead', reason = ?, message = ?, finished_ms = ?, "
                        "attempts = attempts + 1 WHERE id = ? AND state IN ('pending', 'handed') RETURNING event_count",
                        (o.reason, o.message, now_ms, o.record_id),
                    )
                else:
                    rows = []
                    await self._database.conn.execute(
                        "UPDATE records SET attempts = attempts + 1, next_attempt_s = ?, message = ? "
                        "WHERE id = ? AND state = 'pending'",
                        (o.retry_at, o.message or None, o.record_id),
                    )
                settled += sum(int(r[0]) for r in rows)
            if any(o.outcome is Outcome.BILLED for o in outcomes):
                await self._database.set_meta({"last_shipment_ms": str(now_ms)})
        self._backlog.settle(settled)

    async def prune(self, now: float) -> int:
        """Drop billed events past the id retention and billed records past the audit retention."""
        id_cutoff = int((now - self.settings.id_retention_seconds) * 1000)
        audit_cutoff = int((now - self.settings.audit_retention_seconds) * 1000)
        async with self._database.write_lock, self._database.transaction():
            cursor = await self._database.conn.execute(
                "DELETE FROM events WHERE seq IN (SELECT e.seq FROM events e JOIN records r "
                "ON r.id = e.record_id WHERE r.state = 'billed' AND e.received_ms < ? LIMIT 50000)",
                (id_cutoff,),
            )
            removed = cursor.rowcount
            await self._database.conn.execute(
                "DELETE FROM records WHERE state = 'billed' AND finished_ms < ? "
                "AND NOT EXISTS (SELECT 1 FROM events e WHERE e.record_id = records.id)",
                (audit_cutoff,),
            )
        return max(removed, 0)

    async def status(self, sealed_through: int) -> Status:
        """Return the counters GetStatus reports."""
        db = self._database
        counts = {
            str(r[0]): int(r[1])
            for r in await db.conn.execute_fetchall("SELECT state, COUNT(*) FROM records GROUP BY state")
        }
        oldest = await db.scalar(
            "SELECT MIN(t) FROM (SELECT MIN(event_ms) AS t FROM events WHERE record_id IS NULL "
            "UNION ALL SELECT MIN(first_event_ms) FROM records WHERE state IN ('pending', 'handed'))"
        )
        rolled = await db.meta("rolled_forward_events")
        last = await db.meta("last_shipment_ms")
        open_dead = await db.scalar(
            "SELECT COUNT(*) FROM records WHERE state = 'dead' AND discarded_ms IS NULL"
        )
        return Status(
            pending_events=await self._backlog.stored(),
            pending_records=counts.get(RecordState.PENDING, 0),
            billed_records=counts.get(RecordState.BILLED, 0),
            dead_letter_records=counts.get(RecordState.DEAD, 0),
            rolled_forward_events=int(rolled or 0),
            oldest_pending_event=None if oldest is None else int(oldest) / 1000,
            sealed_through=float(sealed_through),
            last_shipment=None if last is None else int(last) / 1000,
            open_dead_letter_records=int(open_dead),
            skipped_records=counts.get(RecordState.SKIPPED, 0),
        )

    async def last_mode(self) -> str:
        """Return the mode the database was last served in: 'single', 'cluster' or '' (new database)."""
        mode = await self._database.meta("mode")
        if mode is not None:
            return mode
        # Databases from before the mode was recorded: handed-over records mean cluster mode.
        handed = await self._database.scalar("SELECT COUNT(*) FROM records WHERE state = 'handed'")
        return "cluster" if handed else ("" if self._database.created else "single")

    async def set_mode(self, mode: str) -> None:
        """Record the mode this process serves the database in."""
        async with self._database.write_lock:
            await self._database.set_meta_txn({"mode": mode})

    async def unsettled_records(self, *, attempted_only: bool = False) -> int:
        """Return how many sealed records are neither billed nor dead (``attempted_only``: sent at least once)."""
        where = "state IN ('pending', 'handed')" + (" AND attempts > 0" if attempted_only else "")
        return int(await self._database.scalar(f"SELECT COUNT(*) FROM records WHERE {where}"))

    async def _billed_after_expiry(self, outcome: RecordOutcome, now_ms: int) -> None:
        # Expiry runs in the sealing loop while a call may be in flight: what the marketplace billed is billed.
        rows = await self._database.conn.execute_fetchall(
            "UPDATE records SET state = 'billed', metering_record_id = ?, finished_ms = ?, attempts = attempts + 1, "
            "message = 'billed by its marketplace (' || marketplace || ') after it was dead-lettered as expired' "
            "WHERE id = ? AND state = 'dead' AND reason = 'expired' AND discarded_ms IS NULL RETURNING marketplace",
            (outcome.metering_record_id, now_ms, outcome.record_id),
        )
        for row in rows:
            log.warning(
                "the marketplace billed a record that had just expired; it is billed, not a dead letter",
                extra={"fields": {"record_id": outcome.record_id, "marketplace": str(row[0])}},
            )

    async def marketplaces_of(self, record_ids: Sequence[int]) -> dict[str, int]:
        """Return how many of ``record_ids`` each marketplace has (to say whose records expired)."""
        if not record_ids:
            return {}
        rows = await self._database.conn.execute_fetchall(
            "SELECT marketplace, COUNT(*) FROM records WHERE id IN (SELECT value FROM json_each(?)) "
            "GROUP BY marketplace ORDER BY marketplace",
            (json.dumps(list(record_ids)),),
        )
        return {str(r[0]): int(r[1]) for r in rows}

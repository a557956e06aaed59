"""Shipping state: which records are due, expiry into dead letters, and each attempt's results."""

from __future__ import annotations

from collections.abc import Sequence

from metering_sidecar.core import Outcome, Record, RecordOutcome
from metering_sidecar.store._core import StoreCore, log


class ResultsMixin(StoreCore):
    """due_records(), expire() and apply()."""

    async def due_records(self, now: float, limit: int = 10_000) -> list[Record]:
        """Return pending records whose next attempt is due, grouped by product."""
        # Under the write lock: the connection is shared, and a read outside it would see the rows of a
        # sealing transaction that has not committed yet (and may roll back) and ship them.
        async with self._lock:
            rows = await self.db.execute_fetchall(
                "SELECT id, product, license_arn, request_json, attempts, expires_s FROM records "
                "WHERE state = 'pending' AND next_attempt_s <= ? ORDER BY product, license_arn != '', id LIMIT ?",
                (now, limit),
            )
        return [Record(int(r[0]), str(r[1]), bool(r[2]), str(r[3]), int(r[4]), float(r[5])) for r in rows]

    async def expire(self, now: float) -> list[int]:
        """Dead-letter pending records about to pass AWS's maximum age (I6); return their ids."""
        # A read first: most passes expire nothing, and a write would take the lock ingest commits under.
        rows = await self.db.execute_fetchall(
            "SELECT 1 FROM records WHERE state = 'pending' AND expires_s <= ? LIMIT 1", (now,)
        )
        if not list(rows):
            return []
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
                    if not rows:
                        await self._billed_after_expiry(o, now_ms)
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

    async def _billed_after_expiry(self, outcome: RecordOutcome, now_ms: int) -> None:
        # Expiry runs in the sealing loop while a call may be in flight: what AWS billed is billed.
        cursor = await self.db.execute(
            "UPDATE records SET state = 'billed', metering_record_id = ?, finished_ms = ?, attempts = attempts + 1, "
            "message = 'billed by AWS after it was dead-lettered as expired' "
            "WHERE id = ? AND state = 'dead' AND reason = 'expired' AND discarded_ms IS NULL",
            (outcome.metering_record_id, now_ms, outcome.record_id),
        )
        if cursor.rowcount > 0:
            log.warning(
                "AWS billed a record that had just expired; it is billed, not a dead letter",
                extra={"fields": {"record_id": outcome.record_id}},
            )

"""The shipper's records: expiry, the records due for an attempt, the Flush RPC's backoff skip, and the
marketplace's answers stored; each write only while this member holds the shipper lease (fenced)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any

import psycopg

from metering_sidecar.cluster._pg_migration import Migration
from metering_sidecar.cluster._pg_session import Sessions
from metering_sidecar.core import Outcome, Record, RecordOutcome
from metering_sidecar.targets import TargetRegistry

log = logging.getLogger("sidecar.cluster")
LEDGER_LOST = "ledger-lost"
PRUNE_EVERY_SECONDS = 600.0  # the shipper prunes old settled contributions this often (a scan of the table)
PRUNE_BATCH = 5000  # contributions pruned per table and time


class Records:
    """The frozen cluster records, for the shipper.

    ``fenced`` runs inside a transaction and says whether this process still holds the lease (locking it).
    """

    def __init__(
        self,
        sessions: Sessions,
        *,
        fenced: Callable[[psycopg.AsyncConnection[Any]], Awaitable[bool]],
        schema: Migration,
        targets: TargetRegistry,
    ) -> None:
        self._sessions = sessions
        self._fenced = fenced
        self._schema = schema
        self.targets = targets
        self._next_prune = 0.0  # monotonic

    async def expire(self, now: float) -> list[int]:
        """Dead-letter cluster records about to pass their marketplace's maximum age (only while holding the lease)."""

        async def run(conn: psycopg.AsyncConnection[Any]) -> list[int]:
            async with conn.transaction():
                if not await self._fenced(conn):
                    return []
                rows = await (await conn.execute(
                    "UPDATE ms_records SET state = 'dead', reason = 'expired', finished_s = %s, "
                    "message = 'not confirmed by the marketplace before the maximum record age' "
                    "WHERE state = 'pending' AND expires_s <= %s RETURNING id", (now, now),
                )).fetchall()  # fmt: skip
                if time.monotonic() >= self._next_prune:
                    # Keeps the ledger (and the next migration) small; bounded, so the call stays short.
                    self._next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
                    await self._schema.prune(conn, limit=PRUNE_BATCH)
            return [int(r[0]) for r in rows]

        return await self._sessions.run(run)

    async def due_records(
        self, now: float, limit: int = 10_000, *, exclude: Collection[str] = ()
    ) -> list[Record]:
        """Return frozen cluster records due for an attempt, none of the marketplaces in ``exclude``.

        The ledger keeps no marketplace column: the excluded marketplaces' customer fields come from the
        registry, so this query names no marketplace.
        """
        skip = sorted(self._fields_of(exclude))

        async def run(conn: psycopg.AsyncConnection[Any]) -> list[Record]:
            rows = await (await conn.execute(
                "SELECT id, product, license_arn, request_json, attempts, expires_s, customer_field FROM ms_records "
                "WHERE state = 'pending' AND next_attempt_s <= %s AND NOT (customer_field = ANY(%s)) "
                "ORDER BY product, license_arn <> '', id LIMIT %s",
                (now, skip, limit),
            )).fetchall()  # fmt: skip
            return [Record(int(r[0]), str(r[1]), bool(r[2]), str(r[3]), int(r[4]), float(r[5]),
                           self._marketplace_of(str(r[6]))) for r in rows]  # fmt: skip

        return await self._sessions.run(run)

    async def make_due(self, now: float, *, exclude: Collection[str] = ()) -> int:
        """Make pending cluster records waiting out a backoff due at ``now`` (the Flush RPC), only while holding
        the lease; never before a record's own timestamp; ``exclude``'s marketplaces keep their schedule."""
        skip = sorted(self._fields_of(exclude))

        async def run(conn: psycopg.AsyncConnection[Any]) -> int:
            async with conn.transaction():
                if not await self._fenced(conn):
                    return 0
                cursor = await conn.execute(
                    "UPDATE ms_records SET next_attempt_s = %s WHERE state = 'pending' AND next_attempt_s > %s "
                    "AND timestamp_s <= %s AND NOT (customer_field = ANY(%s))",
                    (now, now, now, skip),
                )
                return max(cursor.rowcount, 0)

        return await self._sessions.run(run)

    def _fields_of(self, marketplaces: Collection[str]) -> set[str]:
        """Return the customer fields of ``marketplaces`` (one without a target has none here)."""
        fields: set[str] = set()
        for marketplace in marketplaces:
            try:
                fields |= self.targets.get(marketplace).customer_fields
            except LookupError:
                continue
        return fields

    def _marketplace_of(self, customer_field: str) -> str:
        """Return the marketplace of a record by its customer field (the ledger keeps no other column)."""
        try:
            return self.targets.for_field(customer_field).marketplace
        except LookupError:
            return customer_field  # no target: the shipper leaves it pending and says why

    async def apply(self, outcomes: Sequence[RecordOutcome], now: float) -> None:
        """Store one shipping attempt's results, unless the lease was lost meanwhile (then discard them:
        the new shipper resends the same frozen records, and AWS answers with the same MeteringRecordId)."""

        conflicts = self.targets.conflict_reasons

        async def run(conn: psycopg.AsyncConnection[Any]) -> bool:
            async with conn.transaction():
                if not await self._fenced(conn):
                    return False
                for o in outcomes:
                    if o.outcome is Outcome.BILLED:
                        await conn.execute(
                            "UPDATE ms_records SET state = 'billed', metering_record_id = %s, finished_s = %s, "
                            "attempts = attempts + 1 WHERE id = %s AND state = 'pending'",
                            (o.metering_record_id, now, o.record_id),
                        )
                    elif o.outcome is Outcome.DEAD:
                        # A rebuilt record that AWS calls a duplicate differs from the one AWS holds: a
                        # contributor of the lost ledger is gone, and this usage cannot be billed.
                        await conn.execute(
                            "UPDATE ms_records SET state = 'dead', reason = CASE WHEN rebuilt AND %(conflict)s "
                            "THEN %(lost)s ELSE %(reason)s END, message = CASE WHEN rebuilt AND %(conflict)s "
                            "THEN %(lost_message)s ELSE %(message)s END, finished_s = "
                            "%(now)s, attempts = attempts + 1 WHERE id = %(id)s AND state = 'pending'",
                            {"reason": o.reason, "lost": LEDGER_LOST, "message": o.message, "now": now,
                             "id": o.record_id, "conflict": o.reason in conflicts,
                             "lost_message": "the shared ledger was lost and this window, rebuilt from the "
                                             "contributions offered again, differs from the record the marketplace "
                                             f"holds (a contributor is gone); the marketplace answered {o.reason}"},
                        )  # fmt: skip
                    else:
                        await conn.execute(
                            "UPDATE ms_records SET attempts = attempts + 1, next_attempt_s = %s, message = %s "
                            "WHERE id = %s AND state = 'pending'",
                            (o.retry_at, o.message or None, o.record_id),
                        )
            return True

        if not await self._sessions.run(run):
            log.warning(
                "the shipper lease was lost during an attempt; its results are discarded (the new shipper "
                "resends the same frozen records)",
                extra={"fields": {"records": len(outcomes)}},
            )

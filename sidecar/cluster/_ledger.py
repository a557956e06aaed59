"""The shared ledger: hand-over of per-instance totals, freezing of cluster totals, and the record
store the shipper uses when this instance is the elected shipper (psycopg 3, async)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import psycopg

from sidecar.cluster._schema import DDL, LOCK_KEY
from sidecar.errors import Refused, RemoteError
from sidecar.model import MAX_QUANTITY, Outcome, Record, RecordOutcome
from sidecar.store._handover import Contribution
from sidecar.store._sealing import TagGroup, build_record, canonical

log = logging.getLogger("sidecar.cluster")
Key = tuple[str, str, str, str, str]  # product, license, customer field, customer, dimension


def _pg_error(exc: Exception) -> RemoteError:
    return RemoteError(
        "PostgresUnavailable", str(exc).strip().splitlines()[0] if str(exc) else repr(exc), retryable=True
    )


def groups_of(contribution: tuple[str, int, int, int]) -> list[TagGroup]:
    """Rebuild tag groups from a contribution's frozen request (its allocations)."""
    request_json, quantity, first_ms, events = contribution
    request = json.loads(request_json)
    allocations = request.get("UsageAllocations")
    if not allocations:
        return [TagGroup("", quantity, first_ms, events)]
    groups = []
    for allocation in allocations:
        tags = sorted((t["Key"], t["Value"]) for t in allocation.get("Tags", []))
        groups.append(
            TagGroup(canonical(tags) if tags else "", allocation["AllocatedUsageQuantity"], first_ms, 0)
        )
    return groups


def _merge(groups: Sequence[TagGroup]) -> list[TagGroup]:
    merged: dict[str, list[int]] = defaultdict(lambda: [0, 2**62, 0])
    for g in groups:
        entry = merged[g.tags_json]
        entry[0] += g.quantity
        entry[1] = min(entry[1], g.first_event_ms)
        entry[2] += g.events
    return [TagGroup(t, q, f, e) for t, (q, f, e) in sorted(merged.items())]


class ClusterLedger:
    """PostgreSQL access for one instance."""

    def __init__(self, dsn: str, instance_id: str, *, window_seconds: int, expiry_after: float) -> None:
        self.dsn = dsn
        self.instance_id = instance_id
        self.window = window_seconds
        self.expiry_after = expiry_after
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._lock_conn: psycopg.AsyncConnection[Any] | None = None
        self.leader = False

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True, connect_timeout=3)
            for statement in DDL:
                try:
                    await self._conn.execute(statement)
                except psycopg.errors.UniqueViolation:
                    pass  # another instance created it at the same moment
        return self._conn

    async def close(self) -> None:
        """Close both connections (releasing the shipper lock); safe to call twice."""
        for conn in (self._conn, self._lock_conn):
            if conn is not None and not conn.closed:
                await conn.close()
        self._conn = self._lock_conn = None
        self.leader = False

    async def _run(self, coro_fn: Any) -> Any:
        try:
            conn = await self._connection()
            return await coro_fn(conn)
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            if self._conn is not None:
                await self._conn.close()
            self._conn = None
            raise _pg_error(exc) from None
        except psycopg.Error as exc:
            # e.g. two shippers freezing the same window after a failover: the unique key lets one win;
            # the other's transaction rolls back and it tries again next pass.
            raise RemoteError(
                type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "", retryable=True
            ) from None

    # -- membership and hand-over -------------------------------------------------------------------

    async def heartbeat(self, now: float, sealed_through: int, *, leaving: bool = False) -> None:
        """Record that this instance is alive and has handed over everything before ``sealed_through``."""

        async def run(conn: psycopg.AsyncConnection[Any]) -> None:
            await conn.execute(
                "INSERT INTO ms_members (instance_id, heartbeat_s, sealed_through, left_s) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (instance_id) DO UPDATE SET heartbeat_s = excluded.heartbeat_s, "
                "sealed_through = excluded.sealed_through, left_s = excluded.left_s",
                (self.instance_id, now, sealed_through, now if leaving else None),
            )

        await self._run(run)

    async def hand_over(self, contributions: Sequence[Contribution]) -> tuple[list[int], list[int]]:
        """Insert contributions idempotently; return (record ids now handed, ids whose stored content differs)."""

        async def run(conn: psycopg.AsyncConnection[Any]) -> tuple[list[int], list[int]]:
            handed: list[int] = []
            conflicting: list[int] = []
            async with conn.transaction():
                for c in contributions:
                    digest = hashlib.sha256(
                        f"{c.quantity}|{c.first_event_ms}|{c.request_json}".encode()
                    ).hexdigest()
                    await conn.execute(
                        "INSERT INTO ms_contributions (instance_id, product, license_arn, customer_field, customer, "
                        "dimension, window_start, quantity, first_event_ms, event_count, request_json, content_sha256) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                        (
                            self.instance_id,
                            *c.key,
                            c.quantity,
                            c.first_event_ms,
                            c.event_count,
                            c.request_json,
                            digest,
                        ),
                    )
                    row = await (await conn.execute(
                        "SELECT content_sha256 FROM ms_contributions WHERE instance_id = %s AND product = %s AND "
                        "license_arn = %s AND customer_field = %s AND customer = %s AND dimension = %s AND window_start = %s",
                        (self.instance_id, *c.key),
                    )).fetchone()  # fmt: skip
                    (conflicting if row is None or row[0] != digest else handed).append(c.record_id)
            return handed, conflicting

        result: tuple[list[int], list[int]] = await self._run(run)
        return result

    async def verdicts(
        self, handed: Sequence[tuple[int, tuple[str, str, str, str, str, int]]]
    ) -> list[tuple[int, str, str, str]]:
        """Return (local record id, state, metering id or reason, message) for contributions the cluster settled."""

        async def run(conn: psycopg.AsyncConnection[Any]) -> list[tuple[int, str, str, str]]:
            rows = await (await conn.execute(
                "SELECT c.product, c.license_arn, c.customer_field, c.customer, c.dimension, c.window_start, r.state, "
                "r.metering_record_id, r.reason, r.message FROM ms_contributions c JOIN ms_records r ON r.id = c.record_id "
                "WHERE c.instance_id = %s AND r.state IN ('billed', 'dead')",
                (self.instance_id,),
            )).fetchall()  # fmt: skip
            by_key = {tuple(r[:6]): r[6:] for r in rows}
            out = []
            for record_id, key in handed:
                found = by_key.get(key)
                if found is not None:
                    state, metering_id, reason, message = found
                    out.append(
                        (record_id, state, metering_id if state == "billed" else reason or "", message or "")
                    )
            return out

        result: list[tuple[int, str, str, str]] = await self._run(run)
        return result

    async def retry(self, key: tuple[str, str, str, str, str, int], now: float) -> None:
        """Make the cluster record holding this instance's contribution pending again (operator retry)."""

        async def run(conn: psycopg.AsyncConnection[Any]) -> str:
            row = await (await conn.execute(
                "UPDATE ms_records SET state = 'pending', next_attempt_s = %s, finished_s = NULL, reason = NULL, "
                "message = 'retried by an operator' WHERE id = (SELECT record_id FROM ms_contributions WHERE "
                "instance_id = %s AND product = %s AND license_arn = %s AND customer_field = %s AND customer = %s "
                "AND dimension = %s AND window_start = %s) AND state = 'dead' AND expires_s > %s RETURNING id",
                (now, self.instance_id, *key, now),
            )).fetchone()  # fmt: skip
            return "" if row else "the cluster's record is not a dead letter young enough for AWS"

        problem: str = await self._run(run)
        if problem:
            raise Refused(problem)

    # -- the shipper's side ---------------------------------------------------------------------------

    async def try_lead(self) -> bool:
        """Take (or keep) the shipper lock; it is released when this instance's session ends."""
        try:
            if self._lock_conn is None or self._lock_conn.closed:
                self.leader = False
                self._lock_conn = await psycopg.AsyncConnection.connect(
                    self.dsn, autocommit=True, connect_timeout=3
                )
            if not self.leader:
                row = await (
                    await self._lock_conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))
                ).fetchone()
                self.leader = bool(row and row[0])
                if self.leader:
                    log.info(
                        "this instance is now the cluster's shipper",
                        extra={"fields": {"instance": self.instance_id}},
                    )
            else:
                await self._lock_conn.execute("SELECT 1")
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            self.leader = False
            self._lock_conn = None
            raise _pg_error(exc) from None
        return self.leader

    async def freeze(self, now: float, *, member_timeout: float, deadline: float) -> int:
        """Sum open contributions into frozen cluster records where every live member has handed over."""

        async def run(conn: psycopg.AsyncConnection[Any]) -> int:
            frozen = 0
            async with conn.transaction():
                members = await (await conn.execute(
                    "SELECT sealed_through FROM ms_members WHERE left_s IS NULL AND heartbeat_s > %s",
                    (now - member_timeout,),
                )).fetchall()  # fmt: skip
                horizon = min((int(m[0]) for m in members), default=2**62)
                rows = await (await conn.execute(
                    "SELECT instance_id, product, license_arn, customer_field, customer, dimension, window_start, quantity, "
                    "first_event_ms, event_count, request_json FROM ms_contributions WHERE record_id IS NULL "
                    "ORDER BY product, license_arn, customer_field, customer, dimension, first_event_ms, instance_id "
                    "FOR UPDATE"
                )).fetchall()  # fmt: skip
                by_key: dict[Key, list[Any]] = defaultdict(list)
                for r in rows:
                    by_key[(r[1], r[2], r[3], r[4], r[5])].append(r)
                for key, contributions in by_key.items():
                    last = await (await conn.execute(
                        "SELECT MAX(window_start) FROM ms_records WHERE product = %s AND license_arn = %s AND "
                        "customer_field = %s AND customer = %s AND dimension = %s", key,
                    )).fetchone()  # fmt: skip
                    floor = (int(last[0]) + self.window) if last and last[0] is not None else 0
                    frozen += await self._freeze_key(conn, key, contributions, floor, now, horizon, deadline)
            return frozen

        result: int = await self._run(run)
        return result

    async def _freeze_key(
        self, conn: psycopg.AsyncConnection[Any], key: Key, contributions: list[Any], floor: int, now: float,
        horizon: int, deadline: float,
    ) -> int:  # fmt: skip
        # Late contributions for a frozen window roll forward to the first window after the last frozen one.
        target = max(floor, min(int(c[6]) for c in contributions))
        closes = target + self.window <= horizon or now >= target + self.window + deadline
        if not closes:
            return 0
        chosen, total = [], 0
        for c in contributions:
            if int(c[6]) > target:
                continue  # a later window of its own: frozen in a later pass
            if total + int(c[7]) > MAX_QUANTITY:
                break  # what passes AWS's limit rolls forward
            chosen.append(c)
            total += int(c[7])
        if not chosen:
            return 0
        groups = _merge([g for c in chosen for g in groups_of((c[10], int(c[7]), int(c[8]), int(c[9])))])
        built = build_record(customer_field=key[2], customer=key[3], dimension=key[4], license_arn=key[1],
                             window_start=target, groups=groups)  # fmt: skip
        row = await (await conn.execute(
            "INSERT INTO ms_records (product, license_arn, customer_field, customer, dimension, window_start, "
            "timestamp_s, quantity, request_json, next_attempt_s, expires_s) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, "
            "%s, %s, %s) RETURNING id",
            (*key, target, built.timestamp_s, built.quantity, built.request_json, max(now, built.timestamp_s),
             built.timestamp_s + self.expiry_after),
        )).fetchone()  # fmt: skip
        assert row is not None
        for c in chosen:
            await conn.execute(
                "UPDATE ms_contributions SET record_id = %s WHERE instance_id = %s AND product = %s AND license_arn = %s "
                "AND customer_field = %s AND customer = %s AND dimension = %s AND window_start = %s",
                (row[0], c[0], *c[1:7]),
            )
        return 1

    async def expire(self, now: float) -> list[int]:
        """Dead-letter cluster records about to pass AWS's maximum age."""

        async def run(conn: psycopg.AsyncConnection[Any]) -> list[int]:
            rows = await (await conn.execute(
                "UPDATE ms_records SET state = 'dead', reason = 'expired', finished_s = %s, "
                "message = 'not confirmed by AWS before the maximum record age' "
                "WHERE state = 'pending' AND expires_s <= %s RETURNING id", (now, now),
            )).fetchall()  # fmt: skip
            return [int(r[0]) for r in rows]

        result: list[int] = await self._run(run)
        return result

    async def due_records(self, now: float, limit: int = 10_000) -> list[Record]:
        """Return frozen cluster records due for an attempt."""

        async def run(conn: psycopg.AsyncConnection[Any]) -> list[Record]:
            rows = await (await conn.execute(
                "SELECT id, product, license_arn, request_json, attempts, expires_s FROM ms_records "
                "WHERE state = 'pending' AND next_attempt_s <= %s ORDER BY product, license_arn <> '', id LIMIT %s",
                (now, limit),
            )).fetchall()  # fmt: skip
            return [Record(int(r[0]), str(r[1]), bool(r[2]), str(r[3]), int(r[4]), float(r[5])) for r in rows]

        result: list[Record] = await self._run(run)
        return result

    async def apply(self, outcomes: Sequence[RecordOutcome], now: float) -> None:
        """Store one shipping attempt's results."""

        async def run(conn: psycopg.AsyncConnection[Any]) -> None:
            async with conn.transaction():
                for o in outcomes:
                    if o.outcome is Outcome.BILLED:
                        await conn.execute(
                            "UPDATE ms_records SET state = 'billed', metering_record_id = %s, finished_s = %s, "
                            "attempts = attempts + 1 WHERE id = %s AND state = 'pending'",
                            (o.metering_record_id, now, o.record_id),
                        )
                    elif o.outcome is Outcome.DEAD:
                        await conn.execute(
                            "UPDATE ms_records SET state = 'dead', reason = %s, message = %s, finished_s = %s, "
                            "attempts = attempts + 1 WHERE id = %s AND state = 'pending'",
                            (o.reason, o.message, now, o.record_id),
                        )
                    else:
                        await conn.execute(
                            "UPDATE ms_records SET attempts = attempts + 1, next_attempt_s = %s, message = %s "
                            "WHERE id = %s AND state = 'pending'",
                            (o.retry_at, o.message or None, o.record_id),
                        )

        await self._run(run)

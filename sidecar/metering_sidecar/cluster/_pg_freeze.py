"""Freezing: open contributions summed into frozen cluster records, one key and window at a time.

A window freezes once every live member has handed it over (or the close deadline after it ended); late
contributions roll forward to the next open window, and contributions offered again to a lost ledger
rebuild their own window or wait for its verdict.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from metering_sidecar.store import Contributor
from metering_sidecar.targets import RecordKey as TargetKey
from metering_sidecar.targets import TagGroup, TargetRegistry

log = logging.getLogger("sidecar.cluster")
Key = tuple[str, str, str, str, str]  # product, license, customer field, customer, dimension


def _merge(groups: Sequence[TagGroup]) -> list[TagGroup]:
    merged: dict[str, list[int]] = defaultdict(lambda: [0, 2**62, 0])
    for g in groups:
        entry = merged[g.tags_json]
        entry[0] += g.quantity
        entry[1] = min(entry[1], g.first_event_ms)
        entry[2] += g.events
    return [TagGroup(t, q, f, e) for t, (q, f, e) in sorted(merged.items())]


def _unsendable(sendable: bool) -> tuple[str, str | None, str | None]:
    """Return (state, reason, message) of a new cluster record.

    Members skip a record their marketplace takes nothing of (Azure: a total of 0) before handing it over, so
    a cluster sum of contributions is always sendable; should one not be, it is a dead letter that says so.
    """
    if sendable:
        return "pending", None, None
    return "dead", "unsendable", "the marketplace takes no record with this content (a total of 0)"


@dataclass(frozen=True, slots=True)
class _Open:
    """A contribution not yet in a frozen record (from ms_contributions, or a settled re-offer)."""

    contributor: Contributor
    window_start: int
    quantity: int
    first_event_ms: int
    event_count: int
    request_json: str
    reoffered: bool
    settled: bool


class Freezer:
    """Builds frozen cluster records from open contributions, for the shipper holding the lease."""

    def __init__(self, *, window: int, targets: TargetRegistry) -> None:
        self.window = window
        self.targets = targets

    async def freeze_some(
        self, conn: psycopg.AsyncConnection[Any], now: float, member_timeout: float, deadline: float,
        after: Key | None, *, limit: int,
    ) -> tuple[int, Key | None]:  # fmt: skip
        """Freeze the next ``limit`` open keys after ``after``; return (frozen, the last key or None).

        Runs inside the caller's transaction, after it checked the lease (the fence).
        """
        frozen = 0
        if await self._rebuilding(conn):
            return 0, None  # the ledger was lost: members are still offering their records again
        # Alive by PostgreSQL's clock, which also writes the heartbeats.
        members = await (await conn.execute(
            "SELECT sealed_through FROM ms_members WHERE left_s IS NULL AND "
            "heartbeat_s > extract(epoch FROM clock_timestamp()) - %s",
            (member_timeout,),
        )).fetchall()  # fmt: skip
        horizon = min((int(m[0]) for m in members), default=2**62)
        if after is None:
            # Settled re-offers of a window that still has its record change nothing: attach them.
            await conn.execute(
                "UPDATE ms_settled s SET record_id = r.id FROM ms_records r WHERE s.record_id IS NULL AND "
                "r.product = s.product AND r.license_arn = s.license_arn AND r.customer_field = s.customer_field "
                "AND r.customer = s.customer AND r.dimension = s.dimension AND r.window_start = s.window_start"
            )  # fmt: skip
        columns = "product, license_arn, customer_field, customer, dimension"
        beyond = "" if after is None else f" AND ({columns}) > (%s, %s, %s, %s, %s)"
        keys = [
            (str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]))
            for r in await (await conn.execute(
                f"SELECT {columns} FROM ms_contributions WHERE record_id IS NULL{beyond} UNION "
                f"SELECT {columns} FROM ms_settled WHERE record_id IS NULL{beyond} ORDER BY 1, 2, 3, 4, 5 LIMIT %s",
                (*(after or ()), *(after or ()), limit),
            )).fetchall()
        ]  # fmt: skip
        if not keys:
            return 0, None
        chosen = f"({columns}) IN (SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[]))"
        arrays = [[k[i] for k in keys] for i in range(5)]
        by_key: dict[Key, list[_Open]] = defaultdict(list)
        for table, settled in (("ms_contributions", False), ("ms_settled", True)):
            rows = await (await conn.execute(
                f"SELECT instance_id, incarnation, {columns}, window_start, quantity, first_event_ms, event_count, "
                f"request_json, {'false' if settled else 'reoffered'} FROM {table} WHERE record_id IS NULL "
                f"AND {chosen} FOR UPDATE",
                arrays,
            )).fetchall()  # fmt: skip
            for r in rows:
                by_key[(r[2], r[3], r[4], r[5], r[6])].append(
                    _Open((str(r[0]), str(r[1])), int(r[7]), int(r[8]), int(r[9]), int(r[10]), str(r[11]),
                          bool(r[12]), settled)
                )  # fmt: skip
        floors = {
            tuple(r[:5]): int(r[5]) + self.window
            for r in await (await conn.execute(
                f"SELECT {columns}, MAX(window_start) FROM ms_records WHERE {chosen} GROUP BY 1, 2, 3, 4, 5",
                arrays,
            )).fetchall()
        }  # fmt: skip
        for key in sorted(by_key):
            contributions = sorted(by_key[key], key=lambda c: (c.first_event_ms, c.contributor))
            frozen += await self._freeze_key(
                conn, key, contributions, floors.get(key, 0), now, horizon, deadline
            )
        return frozen, (keys[-1] if len(keys) >= limit else None)

    @staticmethod
    async def _rebuilding(conn: psycopg.AsyncConnection[Any]) -> bool:
        """Return whether freezing waits for members expected to offer their records to a lost ledger again."""
        rows = await (await conn.execute(
            "SELECT key, value, extract(epoch FROM clock_timestamp()) FROM ms_meta WHERE key IN "
            "('rebuild_until', 'rebuild_expects', 'identity', 'epoch') OR key LIKE 'rebuilt:%'"
        )).fetchall()  # fmt: skip
        if not rows:
            return False
        meta = {str(r[0]): str(r[1]) for r in rows}
        if "rebuild_until" not in meta or float(rows[0][2]) >= float(meta["rebuild_until"]):
            return False
        identity = f"{meta.get('identity', '')}/{meta.get('epoch', '')}"
        expects = json.loads(meta.get("rebuild_expects", "[]"))
        return any(meta.get(f"rebuilt:{member}") != identity for member in expects)

    async def _window_record(
        self, conn: psycopg.AsyncConnection[Any], key: Key, window_start: int
    ) -> tuple[int, str] | None:
        row = await (await conn.execute(
            "SELECT id, state FROM ms_records WHERE product = %s AND license_arn = %s AND customer_field = %s AND "
            "customer = %s AND dimension = %s AND window_start = %s",
            (*key, window_start),
        )).fetchone()  # fmt: skip
        return None if row is None else (int(row[0]), str(row[1]))

    async def _attach(
        self, conn: psycopg.AsyncConnection[Any], table: str, record_id: int, key: Key, c: _Open
    ) -> None:
        await conn.execute(
            f"UPDATE {table} SET record_id = %s WHERE instance_id = %s AND incarnation = %s AND product = %s "
            "AND license_arn = %s AND customer_field = %s AND customer = %s AND dimension = %s AND window_start = %s",
            (record_id, *c.contributor, *key, c.window_start),
        )

    async def _late_reoffers(
        self, conn: psycopg.AsyncConnection[Any], key: Key, contributions: list[_Open], floor: int
    ) -> tuple[list[_Open], list[int]]:
        """Decide what becomes of re-offers for windows this ledger froze already (or skipped).

        Such a contribution was counted in the lost ledger's record for its own window, which AWS may hold:
        rolled forward, it would be billed a second time. So it waits for its window's verdict; a dead
        window (AWS answered DuplicateRecord for the rebuild: ``ledger-lost``) takes it along as a dead
        letter, probably billed in the lost record; a rebuild AWS accepted as new lets it roll forward. A
        window with no record yet is rebuilt by itself. Returns (contributions still to freeze here, the
        windows to rebuild on their own).
        """
        keep: list[_Open] = []
        own: set[int] = set()
        for c in contributions:
            if not c.reoffered or c.settled or c.window_start >= floor:
                keep.append(c)
                continue
            record = await self._window_record(conn, key, c.window_start)
            if record is None:
                own.add(c.window_start)
            elif record[1] == "billed":
                keep.append(c)  # the rebuild was accepted as new: this share was not in it, roll forward
            elif record[1] == "dead":
                await self._attach(conn, "ms_contributions", record[0], key, c)
                log.error(
                    "ALARM: a member offered usage again after its window was rebuilt without it and AWS refused "
                    "the rebuild; the usage is a dead letter (probably billed in the lost record)",
                    extra={"fields": {"instance": c.contributor[0], "window_start": c.window_start,
                                      "quantity": c.quantity, "record": record[0]}},
                )  # fmt: skip
            # pending: wait for the window's verdict
        return keep, sorted(own)

    async def _freeze_key(
        self, conn: psycopg.AsyncConnection[Any], key: Key, contributions: list[_Open], floor: int, now: float,
        horizon: int, deadline: float,
    ) -> int:  # fmt: skip
        offered = contributions
        contributions, own = await self._late_reoffers(conn, key, contributions, floor)
        frozen = 0
        for window_start in own:
            # A lost window no member rebuilt yet: rebuilt by itself from what was offered again for it.
            mine = [c for c in offered if c.window_start == window_start and (c.settled or c.reoffered)]
            frozen += await self._freeze_window(conn, key, mine, window_start, now, horizon, deadline)
            contributions = [c for c in contributions if c not in mine]
        return frozen + await self._freeze_window(conn, key, contributions, floor, now, horizon, deadline)

    async def _freeze_window(
        self, conn: psycopg.AsyncConnection[Any], key: Key, contributions: list[_Open], floor: int, now: float,
        horizon: int, deadline: float,
    ) -> int:  # fmt: skip
        # A settled re-offer only ever rebuilds its own window; where a later window is frozen already, it
        # cannot (and was billed anyway), so it is dropped.
        orphans = [c for c in contributions if c.settled and c.window_start < floor]
        for c in orphans:
            await conn.execute(
                "DELETE FROM ms_settled WHERE instance_id = %s AND incarnation = %s AND product = %s AND "
                "license_arn = %s AND customer_field = %s AND customer = %s AND dimension = %s AND window_start = %s",
                (*c.contributor, *key, c.window_start),
            )
        contributions = [c for c in contributions if c not in orphans]
        if not contributions:
            return 0
        # Late contributions for a frozen window roll forward to the first window after the last frozen one.
        target = max(floor, min(c.window_start for c in contributions))
        closes = target + self.window <= horizon or now >= target + self.window + deadline
        if not closes:
            return 0
        # A window rebuilt from settled re-offers was frozen before the loss: a contribution never handed
        # over before was not in that record, so it rolls forward instead of changing the rebuild.
        rebuilding = any(c.settled and c.window_start == target for c in contributions)
        marketplace = self.targets.for_field(key[2])
        chosen: list[_Open] = []
        total = 0
        for c in contributions:
            if c.window_start > target or (c.settled and c.window_start != target):
                continue  # a later window of its own: frozen in a later pass
            if rebuilding and not (c.settled or c.reoffered):
                continue
            if total + c.quantity > marketplace.max_record_units:
                break  # what passes the marketplace's limit (AWS: a 32-bit quantity) rolls forward
            chosen.append(c)
            total += c.quantity
        if not chosen:
            return 0
        groups = _merge([g for c in chosen for g in marketplace.groups_of(c.request_json, c.quantity,
                                                                          c.first_event_ms, c.event_count)])  # fmt: skip
        built = marketplace.encode(TargetKey(*key, target), groups)
        rebuilt = any(c.reoffered or c.settled for c in chosen)
        row = await (await conn.execute(
            "INSERT INTO ms_records (product, license_arn, customer_field, customer, dimension, window_start, "
            "timestamp_s, quantity, request_json, next_attempt_s, expires_s, rebuilt, state, reason, message) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (*key, target, built.timestamp_s, built.quantity, built.request_json, max(now, built.timestamp_s),
             built.timestamp_s + self.targets.expiry_after(marketplace), rebuilt, *_unsendable(built.sendable)),
        )).fetchone()  # fmt: skip
        assert row is not None
        for table, settled in (("ms_contributions", False), ("ms_settled", True)):
            mine = [(row[0], *c.contributor, *key, c.window_start) for c in chosen if c.settled is settled]
            if mine:
                await conn.cursor().executemany(
                    f"UPDATE {table} SET record_id = %s WHERE instance_id = %s AND incarnation = %s AND product = %s "
                    "AND license_arn = %s AND customer_field = %s AND customer = %s AND dimension = %s "
                    "AND window_start = %s",
                    mine,
                )  # fmt: skip
        return 1

"""Cluster mode's local side: sealed records go to the shared ledger, and come back settled.

Each database has an incarnation (random, in ``meta``), so a new disk under a reused --instance-id is a
new contributor. Each handed record remembers the contributor (instance id, incarnation) it was handed
over as, so its verdict is found under that name after the instance id changes. When the ledger is lost
or replaced, handed records go back to 'pending' and young billed ones are marked for a settled re-offer
('reoffer'), so the ledger can rebuild byte-identical records.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import aiosqlite

from metering_sidecar.core import Outcome, RecordOutcome
from metering_sidecar.store._database import Database, Transaction
from metering_sidecar.store._ledger import Ledger
from metering_sidecar.store._sealing import SealedThrough

KEY = ("product", "license_arn", "customer_field", "customer", "dimension", "window_start")
RecordKey = tuple[str, str, str, str, str, int]
Contributor = tuple[str, str]  # (instance id, incarnation); incarnation '' is a pre-incarnation member
LEGACY_INCARNATION = ""


def content_digest(quantity: int, first_event_ms: int, request_json: str) -> str:
    """Return the digest that identifies a contribution's content in the ledger."""
    return hashlib.sha256(f"{quantity}|{first_event_ms}|{request_json}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Contribution:
    """One sealed local record, as this instance's contribution to the cluster's total."""

    record_id: int
    product: str
    license_arn: str
    customer_field: str
    customer: str
    dimension: str
    window_start: int
    quantity: int
    first_event_ms: int
    event_count: int
    request_json: str
    reoffered: bool = False  # handed to a ledger before, which lost it
    settled: bool = False  # billed already: offered again only so a lost window rebuilds identically
    original: Contributor | None = None  # who it was handed over as before

    @property
    def key(self) -> RecordKey:
        """Return the record key with its window."""
        return (
            self.product,
            self.license_arn,
            self.customer_field,
            self.customer,
            self.dimension,
            self.window_start,
        )

    @property
    def digest(self) -> str:
        """Return the content digest stored beside the contribution."""
        return content_digest(self.quantity, self.first_event_ms, self.request_json)


@dataclass(frozen=True, slots=True)
class Handed:
    """A record in the shared ledger, waiting for the cluster's verdict."""

    record_id: int
    key: RecordKey
    contributor: Contributor | None  # None: handed by a member too old to remember (match by content)
    digest: str


class _StoreLike(Protocol):
    @property
    def db(self) -> aiosqlite.Connection: ...

    @property
    def watermark(self) -> int: ...

    _lock: asyncio.Lock

    def _transaction(self) -> Any: ...

    async def _meta(self, key: str) -> str | None: ...

    async def _set_meta(self, values: dict[str, str]) -> None: ...

    async def apply(self, outcomes: Sequence[RecordOutcome], now: float) -> None: ...


_TO_HAND_OVER = "state = 'pending' OR (state = 'billed' AND reoffer = 1)"


class Handover:
    """What to hand over, and marking it handed or settled.

    The query bodies see the parts it is built from under the names ``_StoreLike`` gives them.
    """

    def __init__(self, database: Database, ledger: Ledger, sealed: SealedThrough) -> None:
        self._database = database
        self._ledger = ledger
        self._sealed = sealed
        self._lock = database.write_lock

    @property
    def db(self) -> aiosqlite.Connection:
        """Return the shared connection."""
        return self._database.conn

    @property
    def watermark(self) -> int:
        """Return sealing's watermark (what handed_through falls back to)."""
        return self._sealed.watermark

    def _transaction(self) -> Transaction:
        return self._database.transaction()

    async def _meta(self, key: str) -> str | None:
        return await self._database.meta(key)

    async def _set_meta(self, values: dict[str, str]) -> None:
        await self._database.set_meta(values)

    async def apply(self, outcomes: Sequence[RecordOutcome], now: float) -> None:
        """Store verdicts through the ledger, which settles the backlog."""
        await self._ledger.apply(outcomes, now)

    async def incarnation(self: _StoreLike) -> str:
        """Return this database's incarnation, creating it the first time cluster mode asks."""
        # '' is a real incarnation (a database from before incarnations, see migration 5): test for None.
        value = await self._meta("incarnation")
        if value is not None:
            return value
        async with self._lock:
            value = await self._meta("incarnation")
            if value is None:
                value = secrets.token_hex(8)
                async with self._transaction():
                    await self._set_meta({"incarnation": value})
        return value

    async def ledger_seen(self: _StoreLike) -> str | None:
        """Return the identity of the ledger this database last handed over to."""
        return await self._meta("cluster_ledger")

    async def adopt_ledger(self: _StoreLike, identity: str) -> None:
        """Remember the ledger this database hands over to (first contact, nothing to offer again)."""
        async with self._lock, self._transaction():
            await self._set_meta({"cluster_ledger": identity})

    async def ledger_generation(self: _StoreLike) -> int:
        """Return the ledger generation (its highest record id) this database saw last; 0 if none."""
        value = await self._meta("cluster_ledger_generation")
        return int(value) if value else 0

    async def remember_ledger_generation(self: _StoreLike, generation: int) -> None:
        """Remember the ledger's generation: seeing a smaller one later means the ledger went back in time."""
        async with self._lock, self._transaction():
            await self._set_meta({"cluster_ledger_generation": str(generation)})

    async def cluster_peers(self: _StoreLike) -> list[str]:
        """Return the cluster members this database last saw in the ledger (a lost ledger waits for them)."""
        value = await self._meta("cluster_peers")
        return [str(p) for p in json.loads(value)] if value else []

    async def remember_cluster_peers(self: _StoreLike, peers: Sequence[str]) -> None:
        """Remember the cluster's members, so a lost ledger's rebuild can wait for each of them."""
        async with self._lock, self._transaction():
            await self._set_meta({"cluster_peers": json.dumps(sorted(peers))})

    async def reoffer_all(self: _StoreLike, identity: str, now: float) -> tuple[int, int]:
        """The ledger was lost or replaced: offer handed records again, and young billed ones settled.

        Returns (handed records back to pending, billed records to offer settled). One transaction with
        the new identity, so a crash can neither skip nor repeat it.
        """
        async with self._lock, self._transaction():
            handed = await self.db.execute(
                "UPDATE records SET state = 'pending', reoffer = 1 WHERE state = 'handed'"
            )
            # Only records AWS may still see again matter: older ones cannot be resent anyway.
            billed = await self.db.execute(
                "UPDATE records SET reoffer = 1 WHERE state = 'billed' AND handed_incarnation IS NOT NULL "
                "AND expires_s > ?",
                (now,),
            )
            await self._set_meta({"cluster_ledger": identity})
        return max(handed.rowcount, 0), max(billed.rowcount, 0)

    async def reoffer_missing(self: _StoreLike, record_ids: Sequence[int]) -> None:
        """Handed records the ledger no longer holds go back to 'pending', to be offered again."""
        if record_ids:
            async with self._lock, self._transaction():
                await self.db.executemany(
                    "UPDATE records SET state = 'pending', reoffer = 1 WHERE id = ? AND state = 'handed'",
                    [(i,) for i in record_ids],
                )

    async def to_hand_over(self: _StoreLike, limit: int = 2000, after_id: int = 0) -> list[Contribution]:
        """Return sealed records not yet in the shared ledger (and settled ones to offer again), by id."""
        async with self._lock:  # committed rows only: the connection is shared with sealing
            rows = await self.db.execute_fetchall(
                f"SELECT id, {', '.join(KEY)}, quantity, first_event_ms, event_count, request_json, state, reoffer, "
                f"handed_instance, handed_incarnation FROM records WHERE ({_TO_HAND_OVER}) AND id > ? "
                "ORDER BY id LIMIT ?",
                (after_id, limit),
            )
        return [
            Contribution(
                int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), int(r[6]), int(r[7]), int(r[8]),
                int(r[9]), str(r[10]), reoffered=bool(r[12]), settled=r[11] == "billed",
                original=_contributor(r[13], r[14]),
            )
            for r in rows
        ]  # fmt: skip

    async def count_to_hand_over(self: _StoreLike) -> int:
        """Return how many sealed records wait for the shared ledger."""
        rows = list(await self.db.execute_fetchall(f"SELECT COUNT(*) FROM records WHERE {_TO_HAND_OVER}"))
        return int(rows[0][0])

    async def handed_through(self: _StoreLike) -> int:
        """Return the start of the earliest window not completely handed over (every earlier one is).

        That is the watermark, or the earliest window of a record still waiting for hand-over. One
        SELECT reads both, so sealing in between cannot make it claim a window it has not handed over.
        """
        async with self._lock:  # committed rows only: the connection is shared with sealing
            rows = list(
                await self.db.execute_fetchall(
                    "SELECT (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'watermark'), "
                    f"(SELECT MIN(window_start) FROM records WHERE {_TO_HAND_OVER})"
                )
            )
        watermark, earliest = rows[0]
        through = int(watermark) if watermark is not None else self.watermark
        return through if earliest is None else min(through, int(earliest))

    async def mark_handed(self: _StoreLike, record_ids: Sequence[int], contributor: Contributor) -> None:
        """Mark records as committed to the shared ledger (first hand-over: as ``contributor``)."""
        if record_ids:
            async with self._lock, self._transaction():
                # A record keeps the name it was first handed over as (the ledger holds it under that name).
                await self.db.executemany(
                    "UPDATE records SET state = CASE WHEN state = 'pending' THEN 'handed' ELSE state END, "
                    "handed_incarnation = CASE WHEN handed_instance IS NULL THEN ? ELSE handed_incarnation END, "
                    f"handed_instance = COALESCE(handed_instance, ?), reoffer = 0 WHERE id = ? AND ({_TO_HAND_OVER})",
                    [(contributor[1], contributor[0], i) for i in record_ids],
                )

    async def handed(self: _StoreLike, limit: int = 100_000) -> list[Handed]:
        """Return handed records, with who they were handed over as, to ask the cluster what became of them."""
        rows = await self.db.execute_fetchall(
            f"SELECT id, {', '.join(KEY)}, handed_instance, handed_incarnation, quantity, first_event_ms, "
            "request_json FROM records WHERE state = 'handed' ORDER BY id LIMIT ?",
            (limit,),
        )
        return [
            Handed(int(r[0]), (str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), int(r[6])),
                   _contributor(r[7], r[8]), content_digest(int(r[9]), int(r[10]), str(r[11])))
            for r in rows
        ]  # fmt: skip

    async def contributor_of(self: _StoreLike, record_id: int) -> Contributor | None:
        """Return who a record was handed over as (None: never handed, or by a member too old to say)."""
        rows = list(
            await self.db.execute_fetchall(
                "SELECT handed_instance, handed_incarnation FROM records WHERE id = ?", (record_id,)
            )
        )
        return _contributor(rows[0][0], rows[0][1]) if rows else None

    async def remember_contributor(self: _StoreLike, found: Sequence[tuple[int, Contributor]]) -> None:
        """Store who old records (handed before contributors were remembered) were found under."""
        if found:
            async with self._lock, self._transaction():
                await self.db.executemany(
                    "UPDATE records SET handed_instance = ?, handed_incarnation = ? WHERE id = ?",
                    [(instance, incarnation, i) for i, (instance, incarnation) in found],
                )

    async def settle(self: _StoreLike, settled: Sequence[tuple[int, str, str, str]], now: float) -> None:
        """Store the cluster's verdict (record id, state, metering record id or reason, message)."""
        outcomes = [
            RecordOutcome(i, Outcome.BILLED, metering_record_id=detail) if state == "billed"
            else RecordOutcome(i, Outcome.DEAD, reason=detail, message=message)
            for i, state, detail, message in settled
        ]  # fmt: skip
        await self.apply(outcomes, now)


def _contributor(instance: Any, incarnation: Any) -> Contributor | None:
    # A handed record without an instance was handed by a member that did not remember it.
    if instance is None:
        return None
    return (str(instance), str(incarnation or LEGACY_INCARNATION))

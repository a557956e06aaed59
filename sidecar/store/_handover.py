"""Cluster mode's local side: sealed records go to the shared ledger, and come back settled."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import aiosqlite

from sidecar.model import Outcome, RecordOutcome

KEY = ("product", "license_arn", "customer_field", "customer", "dimension", "window_start")


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

    @property
    def key(self) -> tuple[str, str, str, str, str, int]:
        """Return the record key with its window."""
        return (
            self.product,
            self.license_arn,
            self.customer_field,
            self.customer,
            self.dimension,
            self.window_start,
        )


class _StoreLike(Protocol):
    @property
    def db(self) -> aiosqlite.Connection: ...

    _lock: asyncio.Lock

    def _transaction(self) -> Any: ...

    async def apply(self, outcomes: Sequence[RecordOutcome], now: float) -> None: ...


class HandoverQueries:
    """Mixed into Store: what to hand over, and marking it handed or settled."""

    async def to_hand_over(self: _StoreLike, limit: int = 5000) -> list[Contribution]:
        """Return sealed records not yet in the shared ledger."""
        rows = await self.db.execute_fetchall(
            f"SELECT id, {', '.join(KEY)}, quantity, first_event_ms, event_count, request_json FROM records "
            "WHERE state = 'pending' ORDER BY id LIMIT ?",
            (limit,),
        )
        return [Contribution(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), int(r[6]), int(r[7]),
                             int(r[8]), int(r[9]), str(r[10])) for r in rows]  # fmt: skip

    async def count_to_hand_over(self: _StoreLike) -> int:
        """Return how many sealed records wait for the shared ledger."""
        rows = list(await self.db.execute_fetchall("SELECT COUNT(*) FROM records WHERE state = 'pending'"))
        return int(rows[0][0])

    async def mark_handed(self: _StoreLike, record_ids: Sequence[int]) -> None:
        """Mark records as committed to the shared ledger."""
        if record_ids:
            async with self._lock, self._transaction():
                await self.db.executemany(
                    "UPDATE records SET state = 'handed' WHERE id = ? AND state = 'pending'",
                    [(i,) for i in record_ids],
                )

    async def handed(self: _StoreLike) -> list[tuple[int, tuple[str, str, str, str, str, int]]]:
        """Return handed records and their keys, to ask the cluster what became of them."""
        rows = await self.db.execute_fetchall(
            f"SELECT id, {', '.join(KEY)} FROM records WHERE state = 'handed'"
        )
        return [(int(r[0]), (str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), int(r[6]))) for r in rows]

    async def settle(self: _StoreLike, settled: Sequence[tuple[int, str, str, str]], now: float) -> None:
        """Store the cluster's verdict (record id, state, metering record id or reason, message)."""
        outcomes = [
            RecordOutcome(i, Outcome.BILLED, metering_record_id=detail) if state == "billed"
            else RecordOutcome(i, Outcome.DEAD, reason=detail, message=message)
            for i, state, detail, message in settled
        ]  # fmt: skip
        await self.apply(outcomes, now)

"""Load for the reliability scenarios: concurrent clients with stable event ids that retry until
acknowledged, and a ledger of what was acknowledged per customer, dimension and tag set."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from typing import Any

import grpc
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc

CUSTOMERS = ("111111111111", "222222222222", "333333333333")
DIMENSIONS = ("requests", "storage")
TEAMS = ("a", "b", "")
RETRY_CODES = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}

Key = tuple[str, str, tuple[tuple[str, str], ...]]
# How long a client waits between events, at most (uniformly drawn). The short form's clients pace themselves
# (25 ms on average, some 30 events/s each): unpaced, on an idle machine with a fast disk, one client sends
# over 100 events/s and keeps most of a core busy with its sidecar, which none of the scenarios' claims (nothing
# lost or duplicated, whatever the fault) needs and the rest of the suite pays for. The long form
# (METERING_SIDECAR_SOAK=1) sends as fast as it can.
PAUSE = 0.01 if os.environ.get("METERING_SIDECAR_SOAK") == "1" else 0.05


def key_of(event: pb.UsageEvent) -> Key:
    """Return (customer, dimension, tag set) of an event."""
    return (event.customer_aws_account_id, event.dimension, tuple(sorted(event.tags.items())))


def billed_by_key(records: list[dict[str, Any]]) -> Counter[Key]:
    """Sum what the emulator billed per (customer, dimension, tag set), from the allocations."""
    billed: Counter[Key] = Counter()
    for record in records:
        allocations = record.get("allocations") or [{"AllocatedUsageQuantity": record["quantity"]}]
        for allocation in allocations:
            tags = tuple(sorted((t["Key"], t["Value"]) for t in allocation.get("Tags", [])))
            billed[(record["customer"], record["dimension"], tags)] += allocation["AllocatedUsageQuantity"]
    return +billed


class Load:
    """Concurrent clients that retry with stable ids and remember what was acknowledged."""

    def __init__(self, target: str, seed: int) -> None:
        self.target = target
        self.rng = random.Random(seed)
        self.acked: Counter[Any] = Counter()
        self.sent = 0
        self.retries = 0

    def event(self, event_id: str) -> pb.UsageEvent:
        """Return a random event with this id."""
        team = self.rng.choice(TEAMS)
        return pb.UsageEvent(
            event_id=event_id,
            customer_aws_account_id=self.rng.choice(CUSTOMERS),
            dimension=self.rng.choice(DIMENSIONS),
            quantity=self.rng.randint(1, 10),
            tags={"team": team} if team else {},
        )

    def tally(self, event: pb.UsageEvent) -> None:
        """Count an acknowledged event."""
        self.acked[key_of(event)] += event.quantity

    async def send(self, stub: pb_grpc.MeteringSidecarAsyncStub, event: pb.UsageEvent, batch: bool) -> None:
        """Send until acknowledged; the same event_id on every try."""
        while True:
            try:
                if batch:
                    await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=[event]), timeout=5)
                else:
                    await stub.RecordUsage(pb.RecordUsageRequest(event=event), timeout=5)
                self.tally(event)
                return
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in RETRY_CODES:
                    raise
                self.retries += 1
                await asyncio.sleep(0.05)

    async def client(self, name: str, stop_at: float, until: asyncio.Event | None = None) -> None:
        """One client: events until ``stop_at`` (monotonic), or until ``until`` is set if sooner."""
        async with grpc.aio.insecure_channel(self.target) as channel:
            stub = pb_grpc.MeteringSidecarStub(channel)
            i = 0
            while time.monotonic() < stop_at and not (until is not None and until.is_set()):
                await self.send(stub, self.event(f"{name}-{i}"), batch=i % 3 == 0)
                self.sent += 1
                i += 1
                await asyncio.sleep(self.rng.uniform(0, PAUSE))

    async def run(
        self, clients: int, seconds: float, prefix: str, until: asyncio.Event | None = None
    ) -> None:
        """Run ``clients`` concurrent clients for ``seconds``, or until ``until`` is set if sooner (each client
        finishes the event it is sending, so what was acknowledged is known)."""
        stop_at = time.monotonic() + seconds
        await asyncio.gather(*[self.client(f"{prefix}c{c}", stop_at, until=until) for c in range(clients)])


def compare(acked: Counter[Key], billed: Counter[Key]) -> tuple[int, int]:
    """Return (lost, duplicated) units: acknowledged but not billed, billed but not acknowledged."""
    lost = sum((acked - billed).values())
    duplicated = sum((billed - acked).values())
    return lost, duplicated

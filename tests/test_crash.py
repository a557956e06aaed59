"""I2 end to end: SIGKILL `serve` repeatedly under concurrent load while it ships to a faulty emulator.

Clients retry with stable event ids. After every restart the test drains the sidecar and checks that
the emulator billed exactly what was acknowledged, per customer and dimension, with no DuplicateRecord.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from tests.procs import Emulator, SidecarProcess

ROUNDS = int(os.environ.get("METERING_SIDECAR_SOAK_ROUNDS", "4"))
CUSTOMERS = ("111111111111", "222222222222", "333333333333")
DIMENSIONS = ("requests", "storage")
RETRY_CODES = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}


@pytest.fixture
def faulty_emulator() -> Iterator[Emulator]:
    """The emulator with throttling, 5xx, unprocessed records and answers lost after billing."""
    emulator = Emulator(
        "--dedup-seconds", "2", "--throttle-rate", "0.15", "--error-rate", "0.1",
        "--unprocessed-rate", "0.15", "--drop-rate", "0.1", "--seed", "11",
    )  # fmt: skip
    yield emulator
    emulator.stop()


class Load:
    """Concurrent clients that retry with stable ids and remember what was acknowledged."""

    def __init__(self, target: str, seed: int) -> None:
        self.target = target
        self.rng = random.Random(seed)
        self.acked: Counter[tuple[str, str]] = Counter()
        self.sent = 0
        self.retries = 0

    async def send(self, stub: pb_grpc.MeteringSidecarStub, event: pb.UsageEvent, batch: bool) -> None:
        """Send until acknowledged; the same event_id on every try."""
        while True:
            try:
                if batch:
                    await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=[event]), timeout=5)
                else:
                    await stub.RecordUsage(pb.RecordUsageRequest(event=event), timeout=5)
                self.acked[(event.customer_aws_account_id, event.dimension)] += event.quantity
                return
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in RETRY_CODES:
                    raise
                self.retries += 1
                await asyncio.sleep(0.05)

    async def client(self, name: str, stop_at: float) -> None:
        """One client: events until ``stop_at``."""
        async with grpc.aio.insecure_channel(self.target) as channel:
            stub = pb_grpc.MeteringSidecarStub(channel)
            i = 0
            while time.monotonic() < stop_at:
                event = pb.UsageEvent(
                    event_id=f"{name}-{i}",
                    customer_aws_account_id=self.rng.choice(CUSTOMERS),
                    dimension=self.rng.choice(DIMENSIONS),
                    quantity=self.rng.randint(1, 10),
                    tags={"team": self.rng.choice(["a", "b"])},
                )
                await self.send(stub, event, batch=i % 3 == 0)
                self.sent += 1
                i += 1
                await asyncio.sleep(self.rng.uniform(0, 0.01))


def _billed(emulator: Emulator) -> Counter[tuple[str, str]]:
    billed: Counter[tuple[str, str]] = Counter()
    for record in emulator.get("/_emulator/billed"):
        billed[(record["customer"], record["dimension"])] += record["quantity"]
    return billed


async def test_sigkill_under_load_bills_exactly_once(tmp_path: Path, faulty_emulator: Emulator) -> None:
    """Kill -9 mid-load, restart on the same disk, drain: billed == acknowledged, exactly, every round."""
    sidecar = SidecarProcess(
        tmp_path / "crash.db", faulty_emulator.url,
        "--window-seconds", "2", "--close-delay-seconds", "0.3",
        "--flush-interval-seconds", "0.1", "--max-backoff-seconds", "0.3",
    )  # fmt: skip
    sidecar.start()
    load = Load(sidecar.target, seed=5)
    rng = random.Random(9)
    kills = 0
    try:
        for round_number in range(ROUNDS):
            stop_at = time.monotonic() + 2.5
            clients = [asyncio.create_task(load.client(f"r{round_number}c{c}", stop_at)) for c in range(4)]
            for _ in range(2):
                await asyncio.sleep(rng.uniform(0.3, 1.0))
                sidecar.kill()
                kills += 1
                await asyncio.sleep(rng.uniform(0, 0.2))
                sidecar.start()
            await asyncio.gather(*clients)
            status = await sidecar.drain(within=60)
            assert status.pending_events == 0, f"round {round_number}: {status}"
            assert status.dead_letter_records == 0
            billed = _billed(faulty_emulator)
            assert billed == load.acked, f"round {round_number}: billed {billed} acked {load.acked}"
            stats = faulty_emulator.get("/_emulator/stats")["stats"]
            assert stats["duplicate_records"] == 0
    finally:
        if sidecar.proc and sidecar.proc.poll() is None:
            sidecar.kill()
    stats = faulty_emulator.get("/_emulator/stats")["stats"]
    # The run really exercised what it claims: kills, retries, lost answers and injected faults.
    assert kills == 2 * ROUNDS
    assert load.sent > 100
    assert stats["dropped"] > 0
    assert stats["throttled"] + stats["errors"] + stats["unprocessed"] > 0

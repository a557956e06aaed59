"""``metering-sidecar demo``: the sidecar on the embedded emulator, with short windows.

It records tagged usage for a few customers over gRPC, waits until every window is sealed and
billed, then prints what was recorded next to what the emulated AWS billed.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import TextIO

import grpc

from metering_sidecar import config as config_module
from metering_sidecar._app import Sidecar
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc

CUSTOMERS = ("111122223333", "444455556666", "777788889999")
DIMENSIONS = ("requests", "gb_processed")
TEAMS = ("search", "ingest", "")


async def run_demo(window_seconds: int = 4, out: TextIO | None = None, events: int = 240) -> int:
    """Run the demo; return 0 when billed equals recorded for every customer and dimension."""
    out = out or sys.stdout
    with tempfile.TemporaryDirectory(prefix="metering-demo-") as tmp:
        cfg = config_module.from_mapping(
            {},
            listen="127.0.0.1:0",
            health_listen="",
            metrics_listen="",
            db=str(Path(tmp) / "demo.db"),
            product_code="demo-product",
            window_seconds=window_seconds,
            close_delay_seconds=0.5,
            flush_interval_seconds=0.25,
            max_backoff_seconds=1.0,
            emulator=True,
        )
        async with Sidecar(cfg) as sidecar:
            print(f"sidecar on {sidecar.target}, emulated AWS on {sidecar.emulator and sidecar.emulator.url}, "
                  f"{window_seconds}s windows", file=out)  # fmt: skip
            recorded = await _send_usage(sidecar.target, events, window_seconds * 1.5)
            print(f"recorded {events} events; waiting for their windows to close and ship...", file=out)
            await _wait_until_shipped(sidecar.target, within=window_seconds * 6 + 10)
            assert sidecar.emulator is not None
            billed = sidecar.emulator.state.billed()
    return _report(recorded, billed, out)


async def _send_usage(target: str, count: int, seconds: float) -> dict[tuple[str, str], int]:
    rng = random.Random(7)
    recorded: dict[tuple[str, str], int] = defaultdict(int)
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        for i in range(count):
            customer, dimension, team = rng.choice(CUSTOMERS), rng.choice(DIMENSIONS), rng.choice(TEAMS)
            quantity = rng.randint(1, 50)
            event = pb.UsageEvent(
                event_id=f"demo-{i}",
                customer_aws_account_id=customer,
                dimension=dimension,
                quantity=quantity,
                tags={"team": team} if team else {},
            )
            await stub.RecordUsage(pb.RecordUsageRequest(event=event), timeout=10)
            recorded[(customer, dimension)] += quantity
            await asyncio.sleep(seconds / count)
    return recorded


async def _wait_until_shipped(target: str, within: float) -> None:
    deadline = time.monotonic() + within
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        while time.monotonic() < deadline:
            status = await stub.GetStatus(pb.GetStatusRequest(), timeout=10)
            if status.pending_events == 0:
                return
            await asyncio.sleep(0.25)


def _report(recorded: dict[tuple[str, str], int], billed: list[dict[str, object]], out: TextIO) -> int:
    billed_sum: dict[tuple[str, str], int] = defaultdict(int)
    records: dict[tuple[str, str], int] = defaultdict(int)
    for record in billed:
        key = (str(record["customer"]), str(record["dimension"]))
        billed_sum[key] += int(str(record["quantity"]))
        records[key] += 1
    print(f"\n{'customer':<14} {'dimension':<14} {'recorded':>9} {'billed':>9} {'records':>8}  ok", file=out)
    ok = True
    for key in sorted(set(recorded) | set(billed_sum)):
        match = recorded.get(key, 0) == billed_sum.get(key, 0)
        ok &= match
        print(f"{key[0]:<14} {key[1]:<14} {recorded.get(key, 0):>9} {billed_sum.get(key, 0):>9} "
              f"{records.get(key, 0):>8}  {'yes' if match else 'NO'}", file=out)  # fmt: skip
    total_r, total_b = sum(recorded.values()), sum(billed_sum.values())
    print(f"{'total':<29} {total_r:>9} {total_b:>9} {len(billed):>8}  {'yes' if ok else 'NO'}", file=out)
    print("\nevery recorded unit was billed exactly once" if ok else "\nMISMATCH: see above", file=out)
    return 0 if ok else 1

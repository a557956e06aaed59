"""``metering-sidecar demo``: the sidecar on the embedded emulator, with short windows.

It records usage for a few AWS customers (tagged, whole units) and Azure subscriptions (fractional
quantities) over gRPC, waits until every window is sealed and billed, then prints what was recorded next
to what the emulated AWS and Azure billed, line by line with the marketplace that billed it.
"""

from __future__ import annotations

import asyncio
import decimal
import math
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
from metering_sidecar.core import ConfigError

CUSTOMERS = ("111122223333", "444455556666", "777788889999")
DIMENSIONS = ("requests", "gb_processed")
TEAMS = ("search", "ingest", "")
# Azure SaaS subscription ids (the emulator subscribes them on first use) and their plan.
AZURE_SUBSCRIPTIONS = ("0c1e5a53-7d7e-4c8c-9a53-3f6f4e0b1a01", "5b3f0a2e-1f0b-4d6a-8d8c-2a7c9e6b4f02")
AZURE_PLAN = "pro"
Key = tuple[str, str, str]  # (marketplace, customer, dimension)
CLOSE_DELAY_SECONDS = 0.5  # the demo's own; it has no --close-delay-seconds


def check_window_seconds(window_seconds: int) -> None:
    """Refuse a window the demo cannot run, naming the demo's own flag: serve's rules, with the demo's delay.

    The window goes to the Config as an override, past the flag's parser, so it is checked here: at least
    1 s, and short enough that a window plus the demo's close delay ends before records expire.
    """
    defaults = config_module.Config()
    expiry = defaults.max_record_age_seconds - defaults.expiry_margin_seconds
    most = math.ceil(expiry - CLOSE_DELAY_SECONDS) - 1
    if not 1 <= window_seconds <= most:
        raise ConfigError(
            f"--window-seconds: must be between 1 and {most} for the demo (a window plus the demo's "
            f"{CLOSE_DELAY_SECONDS:g} s close delay must end before records expire, {expiry} s); got {window_seconds}"
        )


async def run_demo(window_seconds: int = 4, out: TextIO | None = None, events: int = 240) -> int:
    """Run the demo; return 0 when billed equals recorded for every customer and dimension."""
    check_window_seconds(window_seconds)
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
            close_delay_seconds=CLOSE_DELAY_SECONDS,
            flush_interval_seconds=0.25,
            max_backoff_seconds=1.0,
            emulator=True,
        )
        async with Sidecar(cfg) as sidecar:
            emulated = sidecar.emulator and sidecar.emulator.url
            print(f"sidecar on {sidecar.target}, emulated AWS and Azure Marketplace on {emulated}, "
                  f"{window_seconds}s windows", file=out)  # fmt: skip
            if sidecar.azure is None:
                print("Azure is off (azure-identity is not installed): AWS usage only. For both marketplaces: "
                      "pip install 'metering-sidecar[azure]'", file=out)  # fmt: skip
            recorded = await _send_usage(
                sidecar.target, events, window_seconds * 1.5, azure=sidecar.azure is not None
            )
            print(f"recorded {events} events; waiting for their windows to close and ship...", file=out)
            await _wait_until_shipped(sidecar.target, within=window_seconds * 6 + 10)
            assert sidecar.emulator is not None
            billed = _billed(sidecar.emulator.state.billed(), sidecar.emulator.azure.billed())
    return _report(recorded, billed, out)


async def _send_usage(target: str, count: int, seconds: float, *, azure: bool) -> dict[Key, decimal.Decimal]:
    rng = random.Random(7)
    recorded: dict[Key, decimal.Decimal] = defaultdict(decimal.Decimal)
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        for i in range(count):
            dimension = rng.choice(DIMENSIONS)
            if (
                azure and i % 3 == 2
            ):  # every third event is an Azure subscription's, with a fractional quantity
                subscription = rng.choice(AZURE_SUBSCRIPTIONS)
                quantity = decimal.Decimal(rng.randint(1, 40)) / 4
                event = pb.UsageEvent(
                    event_id=f"demo-{i}", azure_resource_id=subscription, azure_plan_id=AZURE_PLAN,
                    dimension=dimension, quantity_decimal=str(quantity),
                )  # fmt: skip
                key = ("azure", subscription, dimension)
            else:
                customer, team = rng.choice(CUSTOMERS), rng.choice(TEAMS)
                quantity = decimal.Decimal(rng.randint(1, 50))
                event = pb.UsageEvent(
                    event_id=f"demo-{i}", customer_aws_account_id=customer, dimension=dimension,
                    quantity=int(quantity), tags={"team": team} if team else {},
                )  # fmt: skip
                key = ("aws", customer, dimension)
            await stub.RecordUsage(pb.RecordUsageRequest(event=event), timeout=10)
            recorded[key] += quantity
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


def _billed(
    aws: list[dict[str, object]], azure: list[dict[str, object]]
) -> list[tuple[Key, decimal.Decimal]]:
    lines = [
        (("aws", str(r["customer"]), str(r["dimension"])), decimal.Decimal(str(r["quantity"]))) for r in aws
    ]
    # Azure reads a quantity as a JSON number; the emulator keeps it as a float, whose shortest text is exact here.
    lines += [
        (("azure", str(e["resource_id"]), str(e["dimension"])), decimal.Decimal(repr(e["quantity"])))
        for e in azure
    ]
    return lines


def _report(
    recorded: dict[Key, decimal.Decimal], billed: list[tuple[Key, decimal.Decimal]], out: TextIO
) -> int:
    billed_sum: dict[Key, decimal.Decimal] = defaultdict(decimal.Decimal)
    records: dict[Key, int] = defaultdict(int)
    for key, quantity in billed:
        billed_sum[key] += quantity
        records[key] += 1
    header = f"{'marketplace':<11} {'customer':<36} {'dimension':<13} {'recorded':>9} {'billed':>9} {'records':>7}  ok"
    print("\n" + header, file=out)
    ok = True
    for key in sorted(set(recorded) | set(billed_sum)):
        match = recorded.get(key, 0) == billed_sum.get(key, 0)
        ok &= match
        print(f"{key[0]:<11} {key[1]:<36} {key[2]:<13} {_n(recorded.get(key)):>9} {_n(billed_sum.get(key)):>9} "
              f"{records.get(key, 0):>7}  {'yes' if match else 'NO'}", file=out)  # fmt: skip
    for marketplace in ("aws", "azure"):
        total_r = sum((q for k, q in recorded.items() if k[0] == marketplace), decimal.Decimal())
        total_b = sum((q for k, q in billed_sum.items() if k[0] == marketplace), decimal.Decimal())
        lines = sum(n for k, n in records.items() if k[0] == marketplace)
        print(f"{'total ' + marketplace:<62} {_n(total_r):>9} {_n(total_b):>9} {lines:>7}  "
              f"{'yes' if total_r == total_b else 'NO'}", file=out)  # fmt: skip
    print("\nevery recorded unit was billed exactly once, by its own marketplace" if ok else "\nMISMATCH: see above",
          file=out)  # fmt: skip
    return 0 if ok else 1


def _n(value: decimal.Decimal | None) -> str:
    return format((value or decimal.Decimal()).normalize(), "f")

"""Sealing: fresh start (docs/architecture.md, Time and windows), one record per key and window (I3), frozen records (I4), roll forward (I5)."""

from __future__ import annotations

import json

from metering_sidecar._app import Sidecar
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.core._clock import ManualClock
from metering_sidecar.emulator import EmulatorServer

from tests.conftest import ACCOUNT, HOUR, OTHER, START, advance_and_flush, db_rows, event, stamp

WINDOW = (int(START) // HOUR) * HOUR  # the window the tests start in (10:00)
NEXT = WINDOW + HOUR


def records(sidecar: Sidecar) -> list[dict[str, object]]:
    """Return the stored request JSON of every record, in id order."""
    rows = db_rows(sidecar.config.db, "SELECT request_json FROM records ORDER BY id")
    return [json.loads(r[0]) for r in rows]


async def record(stub: pb_grpc.MeteringSidecarAsyncStub, **fields: object) -> None:
    """Record one event."""
    await stub.RecordUsage(pb.RecordUsageRequest(event=event(**fields)))


async def test_fresh_database_treats_current_window_as_sealed(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock
) -> None:
    """A new database rolls usage of the current hour into the next, stamped at the next window's start."""
    assert sidecar.store.watermark == NEXT
    await record(stub, event_id="a", quantity=5)
    status = await stub.GetStatus(pb.GetStatusRequest())
    assert status.rolled_forward_events == 1
    assert status.sealed_through.seconds == NEXT
    await advance_and_flush(clock, stub, 2 * HOUR)
    [only] = records(sidecar)
    assert only["Timestamp"] == NEXT
    assert only["Quantity"] == 5


async def test_one_record_per_key_and_window(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """I3: many events become one record per (product, customer, dimension, window), summed."""
    clock.set(NEXT + 600)
    for i in range(30):
        await record(stub, event_id=f"e{i}", quantity=i, customer_aws_account_id=ACCOUNT if i % 2 else OTHER)
    await record(stub, event_id="cpu", dimension="cpu", quantity=7)
    clock.set(NEXT + 1800)
    await record(stub, event_id="late-same-window", quantity=100)
    flushed = await advance_and_flush(clock, stub, HOUR)
    assert flushed.sealed_records == 3
    assert flushed.billed_records == 3
    got = {(r.get("CustomerAWSAccountId"), r["Dimension"]): r["Quantity"] for r in records(sidecar)}
    odd = sum(i for i in range(30) if i % 2)
    even = sum(i for i in range(30) if not i % 2)
    assert got == {(ACCOUNT, "requests"): odd + 100, (OTHER, "requests"): even, (ACCOUNT, "cpu"): 7}
    assert len(emulator.state.billed()) == 3


async def test_timestamp_is_earliest_event_never_before_window(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock
) -> None:
    """I4: the stamp is the earliest event time in the record (a customer who started at :40 gets :40)."""
    clock.set(NEXT + 2400)
    await record(stub, event_id="later", timestamp=stamp(NEXT + 2500), quantity=1)
    await record(stub, event_id="first", timestamp=stamp(NEXT + 2400.7), quantity=1)
    await advance_and_flush(clock, stub, HOUR)
    [only] = records(sidecar)
    assert only["Timestamp"] == NEXT + 2400


async def test_allocations_per_tag_set_plus_untagged(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock
) -> None:
    """One allocation per distinct tag set, an untagged one for untagged usage, summing to Quantity."""
    clock.set(NEXT + 60)
    await record(stub, event_id="1", quantity=3, tags={"team": "a"})
    await record(stub, event_id="2", quantity=4, tags={"team": "a"})
    await record(stub, event_id="3", quantity=5, tags={"team": "b", "env": "prod"})
    await record(stub, event_id="4", quantity=6)
    await record(stub, event_id="5", quantity=2, dimension="untagged-only")
    await advance_and_flush(clock, stub, HOUR)
    by_dimension = {r["Dimension"]: r for r in records(sidecar)}
    tagged = by_dimension["requests"]
    assert tagged["Quantity"] == 18
    assert tagged["UsageAllocations"] == [
        {
            "AllocatedUsageQuantity": 5,
            "Tags": [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "b"}],
        },
        {"AllocatedUsageQuantity": 7, "Tags": [{"Key": "team", "Value": "a"}]},
        {"AllocatedUsageQuantity": 6},
    ]
    assert "UsageAllocations" not in by_dimension["untagged-only"]


async def test_tag_limits_fold_into_untagged_and_still_bill(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """Tag sets past 5 distinct keys fold into the untagged allocation: billing is never lost to tags."""
    clock.set(NEXT + 60)
    for i in range(8):
        await record(stub, event_id=f"t{i}", quantity=10 + i, tags={f"key{i}": "v"})
    flushed = await advance_and_flush(clock, stub, HOUR)
    assert flushed.billed_records == 1
    [only] = records(sidecar)
    allocations = only["UsageAllocations"]
    assert isinstance(allocations, list)
    keys = {t["Key"] for a in allocations for t in a.get("Tags", [])}
    assert len(keys) == 5
    assert sum(a["AllocatedUsageQuantity"] for a in allocations) == only["Quantity"] == sum(range(10, 18))
    assert allocations[-1] == {"AllocatedUsageQuantity": 10 + 11 + 12}  # the three smallest tag sets
    assert db_rows(sidecar.config.db, "SELECT folded_tag_sets FROM records") == [(3,)]
    assert emulator.state.billed()[0]["quantity"] == sum(range(10, 18))


async def test_event_for_sealed_window_rolls_forward(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """I5: a late event for a sealed hour joins the earliest unsealed window, never a second record."""
    clock.set(NEXT + 600)
    await record(stub, event_id="on-time", quantity=5)
    await advance_and_flush(clock, stub, HOUR)  # seals NEXT (now NEXT+4200 > end+delay)
    await record(stub, event_id="late", quantity=3, timestamp=stamp(NEXT + 900))
    status = await stub.GetStatus(pb.GetStatusRequest())
    assert status.rolled_forward_events == 1
    await advance_and_flush(clock, stub, HOUR)
    stamps = sorted((r["Timestamp"], r["Quantity"]) for r in records(sidecar))
    assert stamps == [(NEXT + 600, 5), (NEXT + HOUR, 3)]
    billed = emulator.state.billed()
    assert sorted(b["quantity"] for b in billed) == [3, 5]
    assert emulator.state.stats.duplicate_records == 0


async def test_quantity_past_aws_limit_rolls_whole_events_forward(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock
) -> None:
    """A window whose sum would pass 2147483647 keeps the events that fit; the rest roll forward."""
    clock.set(NEXT + 60)
    big = 2_000_000_000
    await record(stub, event_id="1", quantity=big, timestamp=stamp(NEXT + 60))
    await record(stub, event_id="2", quantity=big, timestamp=stamp(NEXT + 61))
    await record(stub, event_id="3", quantity=1, timestamp=stamp(NEXT + 62))
    await advance_and_flush(clock, stub, HOUR)
    assert [(r["Timestamp"], r["Quantity"]) for r in records(sidecar)] == [(NEXT + 60, big)]
    await advance_and_flush(clock, stub, HOUR)
    got = sorted((r["Timestamp"], r["Quantity"]) for r in records(sidecar))
    assert got == [(NEXT + 60, big), (NEXT + HOUR, big + 1)]


async def test_record_is_frozen_before_first_send(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """I4: sealing stores canonical request JSON; resends after a lost answer are byte-identical."""
    clock.set(NEXT + 60)
    await record(stub, event_id="f", quantity=9, tags={"team": "z"})
    emulator.state.update_faults({"drop_rate": 1.0})
    first = await advance_and_flush(clock, stub, HOUR)
    assert (first.sealed_records, first.billed_records, first.retry_records) == (1, 0, 1)
    [(frozen,)] = db_rows(sidecar.config.db, "SELECT request_json FROM records")
    assert frozen == json.dumps(json.loads(frozen), sort_keys=True, separators=(",", ":"))
    emulator.state.update_faults({"drop_rate": 0.0})
    second = await stub.Flush(pb.FlushRequest())
    assert second.billed_records == 1
    stats = emulator.state.stats
    assert (stats.success, stats.identical_repeats, stats.duplicate_records) == (1, 1, 0)
    assert db_rows(sidecar.config.db, "SELECT request_json FROM records") == [(frozen,)]


async def test_close_delay_is_respected(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock
) -> None:
    """A window is sealed at its end plus --close-delay-seconds, not before; Flush does not skip the delay."""
    clock.set(NEXT + 60)
    await record(stub, event_id="d")
    clock.set(NEXT + HOUR + 59)
    assert (await stub.Flush(pb.FlushRequest())).sealed_records == 0
    clock.set(NEXT + HOUR + 60)
    assert (await stub.Flush(pb.FlushRequest())).sealed_records == 1

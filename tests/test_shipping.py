"""Shipping through real boto3 to the emulator: every result status and every error class."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from metering_sidecar._app import Sidecar
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.core import CustomerField, PassResult, UsageEvent
from metering_sidecar.core._clock import ManualClock
from metering_sidecar.emulator import EmulatorServer
from metering_sidecar.marketplace import BotoMarketplace
from metering_sidecar.shipping import Backoff, Pacer, Shipper
from metering_sidecar.store import Store, StoreSettings
from metering_sidecar.targets import AZURE_FIELD, default_targets, micro_units

from tests.conftest import (
    ACCOUNT,
    HOUR,
    OTHER,
    PRODUCT,
    START,
    SidecarFactory,
    advance_and_flush,
    boto_marketplace,
    db_rows,
    event,
    fake_session,
)

NEXT = (int(START) // HOUR) * HOUR + HOUR
LICENSE = "arn:aws:license-manager::123456789012:license:l-{:016x}"


async def record_many(stub: pb_grpc.MeteringSidecarAsyncStub, count: int, **fields: object) -> None:
    """Record ``count`` events for ``count`` distinct customers (so ``count`` records)."""
    events = [
        event(event_id=f"m-{i}-{fields}", customer_aws_account_id=f"{100000 + i}", **fields)
        for i in range(count)
    ]
    await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=events))


def states(sidecar: Sidecar) -> dict[str, int]:
    """Count records by state."""
    return dict(db_rows(sidecar.config.db, "SELECT state, COUNT(*) FROM records GROUP BY state"))


async def test_success_stores_metering_record_id(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """Success: the record is billed and keeps AWS's MeteringRecordId; GetStatus counts it."""
    clock.set(NEXT + 60)
    await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="s", quantity=4)))
    result = await advance_and_flush(clock, stub, HOUR)
    assert result.billed_records == 1
    [billed] = emulator.state.billed()
    assert db_rows(sidecar.config.db, "SELECT state, metering_record_id FROM records") == [
        ("billed", billed["metering_record_id"])
    ]
    status = await stub.GetStatus(pb.GetStatusRequest())
    assert (status.billed_records, status.pending_events, status.pending_records) == (1, 0, 0)
    assert status.last_shipment.seconds == int(clock.now())
    assert not status.HasField("oldest_pending_event")


async def test_customer_not_subscribed_is_dead_letter(
    make_sidecar: SidecarFactory, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """CustomerNotSubscribed: the record becomes a dead letter with the reason; the others bill."""
    emulator.state.settings.subscribed = frozenset({ACCOUNT})
    sidecar = await make_sidecar()
    clock.set(NEXT + 60)
    import grpc

    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="yes")))
        await stub.RecordUsage(
            pb.RecordUsageRequest(event=event(event_id="no", customer_aws_account_id=OTHER))
        )
        result = await advance_and_flush(clock, stub, HOUR)
        assert (result.billed_records, result.dead_letter_records) == (1, 1)
        status = await stub.GetStatus(pb.GetStatusRequest())
        assert (status.dead_letter_records, status.pending_events) == (1, 0)
    rows = db_rows(sidecar.config.db, "SELECT reason, message FROM records WHERE state = 'dead'")
    assert rows[0][0] == "CustomerNotSubscribed"
    assert rows[0][1]


async def test_duplicate_record_is_dead_letter_and_logged(
    sidecar: Sidecar,
    stub: pb_grpc.MeteringSidecarAsyncStub,
    clock: ManualClock,
    emulator: EmulatorServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """DuplicateRecord: another integration already metered this hour; dead letter plus an error log."""
    clock.set(NEXT + 60)
    other = boto_marketplace(emulator.url)
    await other.batch_meter_usage(
        product_code="prod-abc123",
        records=[
            {"CustomerAWSAccountId": ACCOUNT, "Dimension": "requests", "Quantity": 99, "Timestamp": NEXT + 5}
        ],
    )
    await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="d", quantity=1)))
    with caplog.at_level(logging.ERROR, logger="sidecar"):
        result = await advance_and_flush(clock, stub, HOUR)
    assert result.dead_letter_records == 1
    assert db_rows(sidecar.config.db, "SELECT state, reason FROM records") == [("dead", "DuplicateRecord")]
    assert any("DuplicateRecord" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


@pytest.mark.parametrize(
    "fault",
    [
        {"unprocessed_rate": 1.0},
        {"throttle_rate": 1.0},
        {"error_rate": 1.0},
        {"drop_rate": 1.0},
        {"outage": True},
    ],
    ids=["unprocessed", "throttling", "5xx", "dropped-connection", "outage"],
)
async def test_transient_failures_retry_identical_records(
    sidecar: Sidecar,
    stub: pb_grpc.MeteringSidecarAsyncStub,
    clock: ManualClock,
    emulator: EmulatorServer,
    fault: dict[str, object],
) -> None:
    """UnprocessedRecords, throttling, 5xx, lost answers and outages keep records pending, then bill once."""
    clock.set(NEXT + 60)
    await record_many(stub, 30)
    emulator.state.update_faults(fault)
    for _ in range(3):
        result = await advance_and_flush(clock, stub, 1 if _ else HOUR)
        assert (result.billed_records, result.dead_letter_records, result.retry_records) == (0, 0, 30)
    assert states(sidecar) == {"pending": 30}
    assert db_rows(sidecar.config.db, "SELECT MIN(attempts) FROM records") == [(3,)]
    emulator.state.update_faults({k: type(v)() for k, v in fault.items()})
    result = await advance_and_flush(clock, stub, 1)
    assert result.billed_records == 30
    assert len(emulator.state.billed()) == 30
    assert emulator.state.stats.duplicate_records == 0


async def test_connection_refused_is_retried(
    make_sidecar: SidecarFactory, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """A connection error (AWS unreachable) keeps the record pending with its next attempt scheduled."""
    import grpc

    sidecar = await make_sidecar(max_backoff_seconds=30.0, metering_endpoint_url="http://127.0.0.1:9")
    sidecar.flusher.shipper.marketplace = boto_marketplace("http://127.0.0.1:9")  # type: ignore[union-attr]
    clock.set(NEXT + 60)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="c")))
        result = await advance_and_flush(clock, stub, HOUR)
        assert result.retry_records == 1
        # Backoff: the next attempt is in the future, so an immediate pass of the shipping loop does not call
        # again (Flush would: it sends records in backoff too).
        assert sidecar.flusher is not None
        assert (await sidecar.flusher.ship()).retry == 0
    [(message, next_at)] = db_rows(sidecar.config.db, "SELECT message, next_attempt_s FROM records")
    assert "ConnectionError" in message
    assert clock.now() < next_at <= clock.now() + 30


async def test_invalid_record_is_isolated_by_splitting(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """An Invalid* error fails the whole call: the batch is split, the bad record dead-lettered, the rest billed."""
    emulator.state.settings.dimensions = frozenset({"requests"})
    clock.set(NEXT + 60)
    await record_many(stub, 9)
    await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="bad", dimension="unknown-dim")))
    result = await advance_and_flush(clock, stub, HOUR)
    assert (result.billed_records, result.dead_letter_records) == (9, 1)
    assert db_rows(sidecar.config.db, "SELECT reason FROM records WHERE state = 'dead'") == [
        ("InvalidUsageDimensionException",)
    ]
    assert len(emulator.state.billed()) == 9


async def test_timestamp_out_of_bounds_is_isolated(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """TimestampOutOfBoundsException fails the call: the stale record is removed and the rest is sent."""
    clock.set(NEXT + 60)
    await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="stale")))
    emulator.state.update_faults({"outage": True})
    await advance_and_flush(clock, stub, HOUR)  # sealed, but AWS is down
    await record_many(stub, 5)
    await advance_and_flush(clock, stub, HOUR)  # the next window is sealed too; both wait
    emulator.state.update_faults({"outage": False})
    emulator.state.settings.max_age_seconds = 5000  # AWS is stricter than the sidecar was told
    result = await stub.Flush(pb.FlushRequest())
    assert (result.billed_records, result.dead_letter_records) == (5, 1)
    assert emulator.state.stats.rejected_calls >= 1
    assert db_rows(sidecar.config.db, "SELECT reason, timestamp_s FROM records WHERE state = 'dead'") == [
        ("TimestampOutOfBoundsException", NEXT + 60)
    ]


async def test_disabled_api_stops_shipping_loudly(
    sidecar: Sidecar,
    stub: pb_grpc.MeteringSidecarAsyncStub,
    clock: ManualClock,
    emulator: EmulatorServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """DisabledApiException stops shipping, says why in GetStatus and an error log, and loses nothing."""
    clock.set(NEXT + 60)
    await record_many(stub, 3)
    emulator.state.update_faults({"disabled": True})
    with caplog.at_level(logging.ERROR, logger="sidecar"):
        result = await advance_and_flush(clock, stub, HOUR)
    assert result.retry_records == 3
    status = await stub.GetStatus(pb.GetStatusRequest())
    assert "DisabledApiException" in status.shipping_error
    assert status.pending_events == 3
    assert any("SHIPPING STOPPED" in r.getMessage() for r in caplog.records)
    emulator.state.update_faults({"disabled": False})
    assert (await advance_and_flush(clock, stub, 1)).billed_records == 3
    assert (await stub.GetStatus(pb.GetStatusRequest())).shipping_error == ""


async def test_record_expires_into_dead_letter(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """A record not confirmed by Timestamp + max age - margin becomes a dead letter with reason 'expired'."""
    clock.set(NEXT + 60)
    await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="old")))
    emulator.state.update_faults({"outage": True})
    await advance_and_flush(clock, stub, HOUR)
    clock.set(NEXT + 60 + 6 * HOUR - 900 - 1)
    assert (await stub.Flush(pb.FlushRequest())).dead_letter_records == 0
    clock.advance(1)
    result = await stub.Flush(pb.FlushRequest())
    assert result.dead_letter_records == 1
    assert db_rows(sidecar.config.db, "SELECT state, reason FROM records") == [("dead", "expired")]
    status = await stub.GetStatus(pb.GetStatusRequest())
    assert (status.pending_events, status.dead_letter_records) == (0, 1)


async def test_calls_hold_at_most_25_records_of_one_product(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """I6: 60 records of two products go in calls of at most 25, each call one product."""
    clock.set(NEXT + 60)
    await record_many(stub, 30)
    await record_many(stub, 30, product_code="prod-second")
    result = await advance_and_flush(clock, stub, HOUR)
    assert result.billed_records == 60
    stats = emulator.state.stats
    assert stats.largest_call == 25
    assert sorted(stats.products_seen) == ["prod-abc123"] * 2 + ["prod-second"] * 2
    products = {b["product_code"] for b in emulator.state.billed()}
    assert products == {"prod-abc123", "prod-second"}


async def test_license_records_ship_without_product_code(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """Records with a LicenseArn go in a call without ProductCode, as AWS's examples do."""
    clock.set(NEXT + 60)
    for i in range(3):
        await stub.RecordUsage(
            pb.RecordUsageRequest(event=event(event_id=f"l{i}", license_arn=LICENSE.format(i)))
        )
    await stub.RecordUsage(
        pb.RecordUsageRequest(event=event(event_id="plain", customer_aws_account_id=OTHER))
    )
    result = await advance_and_flush(clock, stub, HOUR)
    assert result.billed_records == 4
    assert emulator.state.stats.calls_without_product == 1
    licensed = [b for b in emulator.state.billed() if b["license_arn"]]
    assert len(licensed) == 3
    [(request,)] = db_rows(
        sidecar.config.db, "SELECT request_json FROM records WHERE license_arn != '' LIMIT 1"
    )
    assert json.loads(request)["LicenseArn"].startswith("arn:aws:license-manager")


@pytest.mark.parametrize(
    "code",
    [
        "InvalidCustomerIdentifierException",
        "InvalidTagException",
        "InvalidUsageAllocationsException",
        "InvalidLicenseException",
        "InvalidProductCodeException",
        "InvalidUsageDimensionException",
        "TimestampOutOfBoundsException",
    ],
)
async def test_each_whole_call_refusal_isolates_the_bad_record(
    sidecar: Sidecar,
    stub: pb_grpc.MeteringSidecarAsyncStub,
    clock: ManualClock,
    emulator: EmulatorServer,
    code: str,
) -> None:
    """Every error that fails a call for its content: split, dead-letter the bad record with the code, bill the rest."""
    clock.set(NEXT + 60)
    await record_many(stub, 12)
    emulator.state.update_faults({"poison": {"100007": code}})
    result = await advance_and_flush(clock, stub, HOUR)
    assert (result.billed_records, result.dead_letter_records) == (11, 1)
    [(customer, reason, message)] = db_rows(
        sidecar.config.db, "SELECT customer, reason, message FROM records WHERE state = 'dead'"
    )
    assert (customer, reason) == ("100007", code)
    assert "injected" in message
    assert len(emulator.state.billed()) == 11


async def test_timeout_is_retried_and_bills_once(
    make_sidecar: SidecarFactory, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """A call that outlives the read timeout may still land at AWS: the identical resend gets the same id."""
    import grpc

    sidecar = await make_sidecar()
    sidecar.flusher.shipper.marketplace = BotoMarketplace(  # type: ignore[union-attr]
        endpoint_url=emulator.url, session=fake_session(), max_attempts=1, timeout_seconds=0.2
    )
    clock.set(NEXT + 60)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="slow")))
        emulator.state.update_faults({"delay_seconds": 0.5})
        assert (await advance_and_flush(clock, stub, HOUR)).retry_records == 1
        emulator.state.update_faults({"delay_seconds": 0})
        assert (await stub.Flush(pb.FlushRequest())).billed_records == 1
    [(message,)] = db_rows(sidecar.config.db, "SELECT metering_record_id FROM records")
    assert message == emulator.state.billed()[0]["metering_record_id"]
    assert emulator.state.stats.duplicate_records == 0


# --- what a pass reads when a marketplace takes no calls ---------------------------------------------------

PAGE = 50


def aws_usage(count: int) -> list[UsageEvent]:
    """``count`` AWS events of distinct customers, one record each."""
    return [UsageEvent(f"a{i}", f"fp-a{i}", PRODUCT, "", CustomerField.ACCOUNT_ID, f"{300000 + i}", "requests", 1,
                       NEXT + 60) for i in range(count)]  # fmt: skip


def azure_usage(count: int) -> list[UsageEvent]:
    """``count`` Azure events of distinct resources; their plan ("gold") sorts before AWS's product code."""
    return [UsageEvent(f"z{i}", f"fp-z{i}", "gold", "", AZURE_FIELD, f"resource-{i}", "emails",
                       micro_units("1.5"), NEXT + 60, marketplace="azure") for i in range(count)]  # fmt: skip


@pytest.fixture
async def paged_store(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Store]:
    """A real store opened just before the window its usage goes into (a new one seals its current window)."""
    clock.set(NEXT - 10)
    settings = StoreSettings(window_seconds=HOUR, max_record_age=6 * HOUR, expiry_margin=900)
    async with Store(tmp_path / "paged.db", settings, clock) as store:
        yield store


async def sealed(store: Store, clock: ManualClock, *batches: list[UsageEvent]) -> float:
    """Append the batches, seal their hour; return the time of the first pass."""
    for batch in batches:
        await store.append(batch)
    clock.set(NEXT + HOUR + 61)
    await store.seal(clock.now(), 60)
    return clock.now()


def aws_only_shipper(store: Store, emulator: EmulatorServer) -> Shipper:
    """The app's shipper of an AWS-only deployment: both targets, Azure without an adapter; small pages."""
    shipper = Shipper(store.ledger, default_targets(aws=boto_marketplace(emulator.url)),
                      Backoff(cap=60, rng=lambda: 0.0), pacer=Pacer(1, 1000.0))  # fmt: skip
    shipper.page = PAGE
    return shipper


async def test_a_stopped_aws_with_a_full_page_due_does_not_spin_the_flusher(
    paged_store: Store, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """AWS-only: Azure has no adapter and nothing due, so it never stops. AWS answers DisabledApiException with
    more than a page due: the next pass reads none of AWS's records and says nothing more is due, so the flusher
    waits its interval instead of re-reading a page (under the write lock) back to back for the backoff cap."""
    now = await sealed(paged_store, clock, aws_usage(3 * PAGE))
    shipper = aws_only_shipper(paged_store, emulator)
    emulator.state.update_faults({"disabled": True})
    first = PassResult()
    await shipper.ship_due(now, first)
    assert (first.retry, emulator.state.stats.calls) == (25, 1)
    assert "DisabledApiException" in shipper.disabled_reason
    for later in (1, 10, 59):
        result = PassResult()
        await shipper.ship_due(now + later, result)
        assert (result.more_due, result.retry) == (False, 0)
    assert emulator.state.stats.calls == 1
    emulator.state.update_faults({"disabled": False})
    result = PassResult()
    await shipper.ship_due(now + 61, result)
    assert (result.billed, result.more_due) == (PAGE, True)  # a full page went out: more is due at once


async def test_records_of_a_stopped_marketplace_never_crowd_another_out_of_the_page(
    paged_store: Store, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """More than a page of Azure records due, Azure not configured: its records sort first and would fill every
    page. Once Azure said stop, the next pass leaves them in the store, and AWS's records get the page."""
    now = await sealed(paged_store, clock, azure_usage(4 * PAGE), aws_usage(30))
    shipper = aws_only_shipper(paged_store, emulator)
    first = PassResult()
    await shipper.ship_due(now, first)
    assert (first.billed, first.retry) == (0, 25)  # one Azure call: not configured, stop
    assert "Azure Marketplace is not configured" in shipper.disabled_reason
    assert not first.more_due  # the page held only records of a marketplace that stopped
    second = PassResult()
    await shipper.ship_due(now + 1, second)
    assert (second.billed, second.retry) == (30, 0)
    assert len(emulator.state.billed()) == 30
    assert db_rows(paged_store.path, "SELECT marketplace, state, COUNT(*) FROM records GROUP BY 1, 2") == [
        ("aws", "billed", 30),
        ("azure", "pending", 4 * PAGE),
    ]

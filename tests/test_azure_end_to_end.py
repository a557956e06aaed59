"""Azure end to end: a real sidecar (gRPC, SQLite, the Azure adapter with azure-identity) billing the
emulator's Azure side over HTTP, its Entra ID over TLS. Fractional quantities sum exactly, an hour totalling
0 is never sent, a record Azure could not take within 24 hours is an 'expired' dead letter, and no token or
secret reaches a log line of a `serve` process."""

from __future__ import annotations

import asyncio
import json
import secrets
import ssl
import time
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import pytest
from metering_sidecar import config as config_module
from metering_sidecar._app import Sidecar
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.core._clock import ManualClock
from metering_sidecar.emulator import EmulatorServer

from tests.azure_support import CLIENT, PLAN, SCOPE, SECRET, SUBSCRIPTION, TENANT, iso, start_emulator
from tests.conftest import HOUR, PRODUCT, fake_session
from tests.procs import Emulator, SidecarProcess
from tests.reliability.azure_load import exact

OTHER = "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b"
ZERO = "9a8b7c6d-0000-4000-8000-00000000000f"
CLOSE_DELAY = 60.0


@pytest.fixture
async def azure_emulator(clock: ManualClock) -> AsyncIterator[EmulatorServer]:
    """The emulator (AWS and Azure, Entra ID over TLS) on the test's clock; unknown resources subscribe."""
    server = start_emulator(clock, auto_subscribe=True)
    yield server
    server.stop()


@pytest.fixture
async def sidecar(
    tmp_path: Path, clock: ManualClock, azure_emulator: EmulatorServer
) -> AsyncIterator[Sidecar]:
    """A sidecar with Azure configured by its flags' settings, pointed at the emulator; passes by Flush."""
    secret_file = tmp_path / "client-secret"
    secret_file.write_text(SECRET + "\n")
    settings: dict[str, Any] = {
        "listen": "127.0.0.1:0", "health_listen": "", "metrics_listen": "127.0.0.1:0",
        "db": str(tmp_path / "sidecar.db"), "product_code": PRODUCT, "close_delay_seconds": CLOSE_DELAY,
        "flush_interval_seconds": 3600.0, "max_backoff_seconds": 0.0, "aws_max_attempts": 1,
        "metering_endpoint_url": azure_emulator.url, "entitlement_endpoint_url": azure_emulator.url,
        "azure_metering_endpoint_url": azure_emulator.azure_api_url,
        "azure_fulfillment_endpoint_url": azure_emulator.azure_api_url,
        "azure_authority_host": azure_emulator.azure_authority_host, "azure_ca_file": azure_emulator.azure_ca_path,
        "azure_tenant_id": TENANT, "azure_client_id": CLIENT, "azure_client_secret_file": str(secret_file),
    }  # fmt: skip
    started = Sidecar(config_module.from_mapping({}, **settings), clock=clock, boto_session=fake_session())
    await started.start()
    clock.advance(HOUR)  # past the fresh database's first window, which counts as sealed
    yield started
    await started.shutdown(grace=0.5)


@pytest.fixture
async def stub(sidecar: Sidecar) -> AsyncIterator[pb_grpc.MeteringSidecarAsyncStub]:
    """A client on a real channel to the sidecar."""
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        yield pb_grpc.MeteringSidecarStub(channel)


def usage(
    event_id: str, resource: str, quantity: str, dimension: str = "emails", plan: str = PLAN
) -> pb.UsageEvent:
    """Return an Azure usage event."""
    return pb.UsageEvent(event_id=event_id, azure_resource_id=resource, azure_plan_id=plan, dimension=dimension,
                         quantity_decimal=quantity)  # fmt: skip


async def next_hour(clock: ManualClock, stub: pb_grpc.MeteringSidecarAsyncStub) -> None:
    """Move past the current hour and its close delay, then run one sealing and shipping pass."""
    clock.advance(HOUR - clock.now() % HOUR + CLOSE_DELAY + 1)
    await stub.Flush(pb.FlushRequest())


async def records(stub: pb_grpc.MeteringSidecarAsyncStub) -> dict[str, tuple[str, str, str, str]]:
    """Return the Azure records by resource id: (state, quantity as frozen and sent, reason, usageEventId).

    ListRecords shows each as Azure's: the resource id in its own field, the exact total in quantity_decimal
    (equal to the frozen payload's), its whole units in quantity."""
    azure = [r for r in (await stub.ListRecords(pb.ListRecordsRequest())).records if r.marketplace == "azure"]
    for r in azure:
        frozen = json.loads(r.request_json)
        assert (r.azure_resource_id, r.customer_aws_account_id, r.customer_identifier) == (
            frozen["resourceId"],
            "",
            "",
        )
        assert (r.quantity_decimal, r.quantity) == (frozen["quantity"], int(Decimal(frozen["quantity"])))
    return {r.azure_resource_id: (r.state, r.quantity_decimal, r.reason, r.metering_record_id) for r in azure}


async def test_a_thousand_tenths_in_one_hour_bill_exactly_100(
    clock: ManualClock, azure_emulator: EmulatorServer, stub: pb_grpc.MeteringSidecarAsyncStub
) -> None:
    """1000 events of 0.1 are billed as exactly 100, 3 of them as 0.3: never a float's 99.9999999999986."""
    tenths = [usage(f"t{i}", SUBSCRIPTION, "0.1") for i in range(1000)]
    await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=tenths))
    await stub.RecordUsageBatch(
        pb.RecordUsageBatchRequest(events=[usage(f"s{i}", OTHER, "0.1") for i in range(3)])
    )
    await next_hour(clock, stub)

    billed = {e["resource_id"]: e for e in azure_emulator.azure.billed()}
    assert {r: exact(e["quantity"]) for r, e in billed.items()} == {
        SUBSCRIPTION: Decimal(100),
        OTHER: Decimal("0.3"),
    }
    assert sum([0.1] * 1000) != 100
    assert sum([0.1] * 3) != 0.3
    assert await records(stub) == {
        SUBSCRIPTION: ("billed", "100", "", billed[SUBSCRIPTION]["usage_event_id"]),
        OTHER: ("billed", "0.3", "", billed[OTHER]["usage_event_id"]),
    }
    assert azure_emulator.azure.stats.calls == 1
    assert (await stub.GetStatus(pb.GetStatusRequest())).pending_events == 0


async def test_an_hour_totalling_zero_is_skipped_and_never_sent(
    clock: ManualClock, azure_emulator: EmulatorServer, stub: pb_grpc.MeteringSidecarAsyncStub
) -> None:
    """A resource's hour of 0 + 0.000000 + 0 is a skipped record: Azure never sees an event for it."""
    zeros = [usage("z1", ZERO, "0"), usage("z2", ZERO, "0.000000"),
             pb.UsageEvent(event_id="z3", azure_resource_id=ZERO, azure_plan_id=PLAN, dimension="emails")]  # fmt: skip
    await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=[*zeros, usage("p", SUBSCRIPTION, "1.5")]))
    await next_hour(clock, stub)
    await next_hour(clock, stub)  # a later pass does not send it either

    assert await records(stub) == {
        ZERO: ("skipped", "0", "", ""),
        SUBSCRIPTION: ("billed", "1.5", "", azure_emulator.azure.billed()[0]["usage_event_id"]),
    }
    stats = azure_emulator.azure.stats
    assert (stats.calls, stats.events_received, stats.statuses["InvalidQuantity"]) == (1, 1, 0)
    assert ZERO not in json.dumps(azure_emulator.azure.billed())
    status = await stub.GetStatus(pb.GetStatusRequest())
    assert (status.pending_events, status.dead_letter_records) == (0, 0)  # the zeros settled


async def test_a_record_older_than_24_hours_is_an_expired_dead_letter(
    clock: ManualClock,
    azure_emulator: EmulatorServer,
    stub: pb_grpc.MeteringSidecarAsyncStub,
    sidecar: Sidecar,
) -> None:
    """Azure down for over a day: the record is the sidecar's 'expired' dead letter before Azure's 24 hours
    pass (never sent past them), while AWS usage of the same run expires after its own 6 hours."""
    azure_emulator.azure.update_faults({"outage": True})
    await stub.RecordUsage(pb.RecordUsageRequest(event=usage("late", SUBSCRIPTION, "2.25")))
    await stub.RecordUsage(pb.RecordUsageRequest(event=pb.UsageEvent(
        event_id="aws", customer_aws_account_id="111122223333", dimension="requests", quantity=3)))  # fmt: skip
    azure_emulator.state.update_faults({"outage": True})
    await next_hour(clock, stub)
    sealed_at = clock.now()
    ages: dict[str, float] = {}
    while clock.now() < sealed_at + 26 * HOUR:
        clock.advance(HOUR / 2)
        await stub.Flush(pb.FlushRequest())
        listed = await stub.ListRecords(pb.ListRecordsRequest())
        for record in listed.records:
            if record.state == "dead" and record.marketplace not in ages:
                ages[record.marketplace] = clock.now() - record.timestamp.seconds
    assert await records_by_state(stub) == {("azure", "dead", "expired"): 1, ("aws", "dead", "expired"): 1}
    azure_age, aws_age = ages["azure"], ages["aws"]
    assert 23 * HOUR < azure_age <= 24 * HOUR  # Azure's 24 hours, less the expiry margin: not AWS's 6
    assert 5 * HOUR < aws_age <= 6 * HOUR
    assert azure_emulator.azure.billed() == []
    assert azure_emulator.azure.stats.statuses["Expired"] == 0
    assert azure_emulator.azure.stats.errors >= 10  # it was tried all along
    alert = sidecar.metrics.registry.get_sample_value(
        "metering_sidecar_dead_letters_total", {"reason": "expired"}
    )
    assert alert == 2
    status = await stub.GetStatus(pb.GetStatusRequest())
    assert (status.pending_events, status.dead_letter_records) == (0, 2)


async def records_by_state(stub: pb_grpc.MeteringSidecarAsyncStub) -> dict[tuple[str, str, str], int]:
    """Count records by (marketplace, state, reason)."""
    counted: dict[tuple[str, str, str], int] = {}
    for record in (await stub.ListRecords(pb.ListRecordsRequest())).records:
        key = (record.marketplace, record.state, record.reason)
        counted[key] = counted.get(key, 0) + 1
    return counted


async def test_no_token_or_secret_reaches_a_log_line_of_a_serve_process(tmp_path: Path) -> None:
    """`serve` at DEBUG with Azure: usage, a landing page token resolved, a revoked token refreshed, a 403
    that stops shipping, a lost answer. Its output holds neither the client secret, nor any token Entra ID
    issued, nor the landing page's token."""
    emulator = Emulator("--dedup-seconds", "2", "--azure-auto-subscribe")
    marketplace_token = "landing-" + secrets.token_urlsafe(24)
    resource = "6f1c2b0e-4d5a-4b1e-9c3d-2a7e8f901234"
    emulator.post("/_emulator/azure/tokens", {marketplace_token: {"id": resource, "planId": PLAN,
                                                                 "status": "PendingFulfillmentStart"}})  # fmt: skip
    sidecar = SidecarProcess(tmp_path / "secrets.db", emulator.url, "--window-seconds", "2",
                             "--close-delay-seconds", "0.3", "--flush-interval-seconds", "0.1",
                             "--max-backoff-seconds", "0.5", "--log-level", "debug", azure=emulator)  # fmt: skip
    try:
        sidecar.start()
        async with grpc.aio.insecure_channel(sidecar.target) as channel:
            stub = pb_grpc.MeteringSidecarStub(channel)
            resolved = await stub.ResolveAzureSubscription(
                pb.ResolveAzureSubscriptionRequest(marketplace_token=marketplace_token, tenant_id="t1"),
                timeout=30,
            )
            assert resolved.subscription.subscription_id == resource
            await stub.ActivateAzureSubscription(pb.ActivateAzureSubscriptionRequest(subscription_id=resource),
                                                 timeout=30)  # fmt: skip
            n = 0

            async def ship_until(fault: str, value: dict[str, Any], counter: str, more: int) -> None:
                """Set a fault, send usage until the emulator's ``counter`` grew by ``more``, clear it."""
                nonlocal n
                start = emulator.azure_stats()[counter]
                emulator.post(f"/_emulator/azure/{fault}", value)
                for _ in range(60):
                    n += 1
                    event = usage(f"e{n}", resource, "0.5")
                    await stub.RecordUsage(pb.RecordUsageRequest(event=event), timeout=10)
                    await asyncio.sleep(0.5)
                    if emulator.azure_stats()[counter] >= start + more:
                        break
                emulator.azure_faults(forbidden=False)
                assert emulator.azure_stats()[counter] >= start + more, (counter, emulator.azure_stats())

            await ship_until("faults", {}, "calls", 1)  # usage billed with the first token
            await ship_until("revoke", {}, "forbidden", 1)  # a 403, the token refreshed, the call repeated
            await ship_until("faults", {"drop_next": 1}, "identical_repeats", 1)  # a lost answer, a Duplicate
            await ship_until("faults", {"forbidden": True}, "forbidden", 3)  # 403 after a refresh: stop
            status = await sidecar.drain(within=60)
            assert (status.pending_events, status.dead_letter_records) == (0, 0)
        issued = emulator.get("/_emulator/azure/issued-tokens")
        stats = emulator.azure_stats()
    finally:
        if sidecar.proc and sidecar.proc.poll() is None:
            sidecar.terminate()
        emulator.stop()
    log = sidecar.log.read_text(errors="replace")
    assert len(issued) >= 3, issued  # the first token, the one after the revocation, the one after the 403
    assert stats["statuses"]["Accepted"] >= 3, stats
    # What happened was logged: the resolve, the lost answer, the 403 that stopped shipping.
    for logged in (
        "Azure subscription resolved",
        "Azure call failed",
        "SHIPPING STOPPED: Azure Marketplace refuses",
    ):
        assert logged in log
    for secret in (sidecar.azure_secret, marketplace_token, *issued):
        assert secret not in log


def test_the_emulator_process_serves_azure_with_its_flags() -> None:
    """`metering-sidecar emulator` prints its token endpoint and CA; Azure's hour, subscriptions and faults
    follow its flags; SIGTERM removes the generated certificate authority."""
    emulator = Emulator("--dedup-seconds", "5", "--azure-hour-seconds", "7", "--azure-auto-subscribe",
                        "--azure-throttle-rate", "0.25", "--azure-drop-rate", "0.125")  # fmt: skip
    try:
        ca = Path(emulator.azure_ca_path)
        assert emulator.azure_authority_host.startswith("https://127.0.0.1:")
        assert ca.is_file()
        tls = ssl.create_default_context(cafile=str(ca))
        form = {
            "grant_type": "client_credentials",
            "client_id": "any-app",
            "client_secret": "s",
            "scope": SCOPE,
        }
        request = urllib.request.Request(f"{emulator.azure_authority_host}/{TENANT}/oauth2/v2.0/token",
                                         data=urllib.parse.urlencode(form).encode(), method="POST")  # fmt: skip
        with urllib.request.urlopen(request, timeout=10, context=tls) as response:
            bearer = json.load(response)["access_token"]
        assert emulator.get("/_emulator/azure/issued-tokens") == [bearer]
        faults = emulator.get("/_emulator/azure/stats")["faults"]
        assert (faults["throttle_rate"], faults["drop_rate"]) == (0.25, 0.125)
        emulator.azure_faults(throttle_rate=0, drop_rate=0)
        hour = (int(time.time()) // 7 - 1) * 7  # the last whole 7-second "hour"
        sent = [iso(hour), iso(hour + 6), iso(hour + 7)]
        events = [{"resourceId": ZERO, "planId": PLAN, "dimension": "d", "quantity": 1, "effectiveStartTime": t}
                  for t in sent]  # fmt: skip
        request = urllib.request.Request(f"{emulator.azure_api_url}/batchUsageEvent?api-version=2018-08-31",
                                         data=json.dumps({"request": events}).encode(), method="POST",
                                         headers={"Authorization": f"Bearer {bearer}",
                                                  "Content-Type": "application/json"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as response:
            statuses = [r["status"] for r in json.load(response)["result"]]
        assert statuses == ["Accepted", "Duplicate", "Accepted"]  # an unknown resource, subscribed on use
        assert emulator.azure_stats()["conflicting_duplicates"] == 1  # another event for a taken hour
    finally:
        emulator.stop()
    assert not ca.exists()


async def test_metrics_show_each_marketplace_apart(
    clock: ManualClock,
    azure_emulator: EmulatorServer,
    stub: pb_grpc.MeteringSidecarAsyncStub,
    sidecar: Sidecar,
) -> None:
    """Azure refuses the app (403) while AWS bills: the unlabelled series look healthy, the per-marketplace
    ones show Azure stopped, its record unbilled and nothing shipped; dead letters name their marketplace.
    Once Azure takes calls again, its series recover."""

    def sample(name: str, **labels: str) -> float | None:
        return sidecar.metrics.registry.get_sample_value("metering_sidecar_" + name, labels)

    azure_emulator.azure.update_faults({"forbidden": True})
    azure_emulator.state.settings.subscribed = frozenset({"111122223333"})
    aws = [pb.UsageEvent(event_id=f"aws-{n}", customer_aws_account_id=account, dimension="requests", quantity=3)
           for n, account in enumerate(("111122223333", "444455556666"))]  # fmt: skip
    await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=[*aws, usage("az", SUBSCRIPTION, "2.5")]))
    await next_hour(clock, stub)
    shipped_at = float(int(clock.now() * 1000)) / 1000
    assert sample("last_successful_shipment_timestamp_seconds") == shipped_at  # AWS's hides Azure's trouble
    by_marketplace = "marketplace_last_successful_shipment_timestamp_seconds"
    assert (sample(by_marketplace, marketplace="aws"), sample(by_marketplace, marketplace="azure")) == (
        shipped_at,
        0,
    )
    assert sample("marketplace_shipping_disabled", marketplace="azure") == 1
    assert sample("marketplace_shipping_disabled", marketplace="aws") == 0
    assert sample("marketplace_pending_records", marketplace="azure") == 1
    assert sample("marketplace_pending_records", marketplace="aws") == 0
    assert sample("open_dead_letters", marketplace="aws", reason="CustomerNotSubscribed") == 1
    assert sample("open_dead_letters", marketplace="azure", reason="CustomerNotSubscribed") is None

    azure_emulator.azure.update_faults({"forbidden": False})
    clock.advance(60)
    await stub.Flush(pb.FlushRequest())
    billed_at = float(int(clock.now() * 1000)) / 1000
    assert sample(by_marketplace, marketplace="azure") == billed_at
    assert sample(by_marketplace, marketplace="aws") == shipped_at
    assert sample("marketplace_shipping_disabled", marketplace="azure") == 0
    assert sample("marketplace_pending_records", marketplace="azure") == 0


AZURE_BAD: list[tuple[str, dict[str, str], str]] = [
    ("not a GUID", {"azure_resource_id": "sub-123"}, "azure_resource_id: must be an Azure SaaS subscription id"),
    ("an ARM path", {"azure_resource_id": f"/subscriptions/{OTHER}/resourceGroups/rg/providers/x/y"},
     "azure_resource_id: must be an Azure SaaS subscription id"),
    ("a GUID and more", {"azure_resource_id": OTHER + "0"}, "azure_resource_id: must be an Azure SaaS subscription id"),
    ("a dotted plan", {"azure_plan_id": "gold.v2"}, "azure_plan_id: must be an Azure plan id: 1 to 50 letters"),
    ("a long plan", {"azure_plan_id": "p" * 51}, "azure_plan_id: must be an Azure plan id: 1 to 50 letters"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "message"), [(f, m) for _, f, m in AZURE_BAD], ids=[n for n, _, _ in AZURE_BAD]
)
async def test_azure_ids_outside_the_saas_rules_are_refused(
    stub: pb_grpc.MeteringSidecarAsyncStub, fields: dict[str, str], message: str
) -> None:
    """Only a SaaS subscription id (a GUID) is ever sent as resourceId, and plan ids follow Partner Center's
    rule, as activation's do: anything else is INVALID_ARGUMENT naming the field, and nothing is stored."""
    values: dict[str, Any] = {"event_id": "bad", "azure_resource_id": SUBSCRIPTION, "azure_plan_id": PLAN, "dimension": "emails",
              "quantity_decimal": "1", **fields}  # fmt: skip
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.RecordUsage(pb.RecordUsageRequest(event=pb.UsageEvent(**values)))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in (refused.value.details() or "")
    assert (await stub.GetStatus(pb.GetStatusRequest())).pending_events == 0


async def test_a_subscription_id_in_capitals_is_the_same_subscription(
    clock: ManualClock, azure_emulator: EmulatorServer, stub: pb_grpc.MeteringSidecarAsyncStub
) -> None:
    """A GUID is case-insensitive: upper and lower case land in one record, kept and sent in lower case; a plan id
    of 50 characters is taken."""
    plan = "p" * 50
    await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=[
        usage("upper", OTHER.upper(), "1", plan=plan), usage("lower", OTHER, "2", plan=plan)]))  # fmt: skip
    await next_hour(clock, stub)
    assert [(e["resource_id"], e["plan_id"]) for e in azure_emulator.azure.billed()] == [(OTHER, plan)]
    assert (await records(stub))[OTHER][:2] == ("billed", "3")

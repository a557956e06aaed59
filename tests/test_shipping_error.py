"""GetStatus.shipping_error (and `metering-sidecar status`) while every call fails for a reason that is not the
records' content: no credentials, an outage, throttling, an endpoint that does not answer. Real boto3 to the
emulator over HTTP, a real gRPC server, real SQLite."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import grpc
import pytest
from metering_sidecar import config as config_module
from metering_sidecar._app import Sidecar
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.core._clock import ManualClock
from metering_sidecar.emulator import EmulatorServer
from metering_sidecar.marketplace import BotoMarketplace

from tests.azure_support import PLAN, SECRET, SUBSCRIPTION, sidecar_settings, start_emulator
from tests.conftest import ACCOUNT, HOUR, START, SidecarFactory, advance_and_flush, boto_marketplace, event
from tests.test_health import SERVING, all_readiness
from tests.test_marketplace_adapter import session_with as no_credentials  # no provider: no credentials
from tests.test_operations import cli

NEXT = (int(START) // HOUR) * HOUR + HOUR


def utc(seconds: float) -> str:
    """Return ``seconds`` as shipping_error writes a time."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def use(sidecar: Sidecar, marketplace: BotoMarketplace) -> None:
    """Ship through ``marketplace`` from now on (the shipper's AWS adapter)."""
    assert sidecar.flusher is not None
    sidecar.flusher.shipper.marketplace = marketplace  # type: ignore[attr-defined]


def disabled_gauges(sidecar: Sidecar) -> tuple[float | None, float | None]:
    registry = sidecar.metrics.registry
    return (
        registry.get_sample_value("metering_sidecar_shipping_disabled"),
        registry.get_sample_value("metering_sidecar_marketplace_shipping_disabled", {"marketplace": "aws"}),
    )


async def test_no_credentials_shows_in_status_until_a_call_goes_through(
    make_sidecar: SidecarFactory, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """No credentials: `status` says what fails, since when and what to do (not "ok"); shipping is not disabled
    and readiness holds; the first call that goes through clears it."""
    sidecar = await make_sidecar()
    use(sidecar, BotoMarketplace(endpoint_url=emulator.url, session=no_credentials(), max_attempts=1))
    clock.set(NEXT + 60)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="n")))
        assert (await advance_and_flush(clock, stub, HOUR)).retry_records == 1
        failed_at = clock.now()
        assert (await advance_and_flush(clock, stub, 5)).retry_records == 1
        error = (await stub.GetStatus(pb.GetStatusRequest())).shipping_error
        assert error.startswith(f"aws: shipping calls failing since {utc(failed_at)}: ")
        assert "NoCredentialsError" in error
        assert "IRSA" in error
        code, out = await cli(sidecar.target, "status")
        assert code == 0
        [line] = [x for x in out.splitlines() if x.startswith("shipping ")]
        assert "NoCredentialsError" in line
        assert not line.rstrip().endswith(" ok")
        assert sidecar.flusher is not None
        assert sidecar.flusher.shipper.disabled_reason == ""
        assert disabled_gauges(sidecar) == (0, 0)
        assert await all_readiness(sidecar) == {SERVING, 200}
        assert emulator.state.stats.calls == 0

        use(sidecar, boto_marketplace(emulator.url))
        assert (await advance_and_flush(clock, stub, 1)).billed_records == 1
        assert (await stub.GetStatus(pb.GetStatusRequest())).shipping_error == ""


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ({"outage": True}, ("InternalServiceErrorException", "AWS-side error or outage")),
        ({"throttle_next": 10**6}, ("ThrottlingException", "--ship-rate-per-second")),
        ({"unreachable": True}, ("EndpointConnectionError", "unreachable")),
    ],
    ids=["outage-5xx", "throttled", "unreachable"],
)
async def test_every_call_failing_shows_in_status(
    make_sidecar: SidecarFactory, clock: ManualClock, emulator: EmulatorServer,
    fault: dict[str, object], expected: tuple[str, str],
) -> None:  # fmt: skip
    """An outage answering 5xx, throttling past the retries, an endpoint nothing listens on: each is named in
    shipping_error with its cause; it clears once AWS answers again."""
    sidecar = await make_sidecar()
    clock.set(NEXT + 60)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="f")))
        if fault.get("unreachable"):
            use(sidecar, boto_marketplace("http://127.0.0.1:9"))
        else:
            emulator.state.update_faults(fault)
        assert (await advance_and_flush(clock, stub, HOUR)).retry_records == 1
        error = (await stub.GetStatus(pb.GetStatusRequest())).shipping_error
        assert error.startswith(f"aws: shipping calls failing since {utc(clock.now())}: ")
        for words in expected:
            assert words in error
        assert disabled_gauges(sidecar) == (0, 0)

        use(sidecar, boto_marketplace(emulator.url))
        emulator.state.update_faults({"outage": False, "throttle_next": 0})
        assert (await advance_and_flush(clock, stub, 1)).billed_records == 1
        assert (await stub.GetStatus(pb.GetStatusRequest())).shipping_error == ""


async def test_disabled_api_keeps_its_message_and_ends_an_outage_streak(
    make_sidecar: SidecarFactory, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """An outage, then DisabledApiException: shipping_error is the disabled reason alone, as before."""
    sidecar = await make_sidecar()
    clock.set(NEXT + 60)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="d")))
        emulator.state.update_faults({"outage": True})
        await advance_and_flush(clock, stub, HOUR)
        assert "InternalServiceErrorException" in (await stub.GetStatus(pb.GetStatusRequest())).shipping_error
        emulator.state.update_faults({"outage": False, "disabled": True})
        await advance_and_flush(clock, stub, 1)
        error = (await stub.GetStatus(pb.GetStatusRequest())).shipping_error
        assert error == "DisabledApiException: The API is disabled in this region."
        assert disabled_gauges(sidecar) == (1, 1)


async def test_both_marketplaces_failing_are_named_each(tmp_path: Path, clock: ManualClock) -> None:
    """AWS without credentials and Azure in an outage: "aws: ...; azure: ..."; Azure back, only AWS is left."""
    emulator = start_emulator(clock, auto_subscribe=True)
    settings = sidecar_settings(emulator, tmp_path / "secret", tmp_path / "both.db")
    sidecar = Sidecar(config_module.from_mapping({}, **settings), clock=clock, boto_session=no_credentials())
    await sidecar.start()
    try:
        clock.advance(HOUR)  # past the fresh database's first window, which counts as sealed
        async with grpc.aio.insecure_channel(sidecar.target) as channel:
            stub = pb_grpc.MeteringSidecarStub(channel)
            events = [pb.UsageEvent(event_id="z", azure_resource_id=SUBSCRIPTION, azure_plan_id=PLAN,
                                    dimension="api", quantity_decimal="2.5"),
                      pb.UsageEvent(event_id="a", customer_aws_account_id=ACCOUNT, dimension="requests", quantity=3)]  # fmt: skip
            await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=events))
            emulator.azure.update_faults({"outage": True})
            assert (await advance_and_flush(clock, stub, HOUR)).retry_records == 2
            error = (await stub.GetStatus(pb.GetStatusRequest())).shipping_error
            aws, azure = error.split("; azure: ")
            assert aws.startswith("aws: ")
            assert "NoCredentialsError" in aws
            assert "Azure Marketplace failed the call (ServiceError" in azure
            assert SECRET not in error
            emulator.azure.update_faults({"outage": False})
            assert (await advance_and_flush(clock, stub, 1)).billed_records == 1
            error = (await stub.GetStatus(pb.GetStatusRequest())).shipping_error
            assert error.startswith("aws: ")
            assert "azure" not in error
    finally:
        await sidecar.shutdown(grace=0.5)
        emulator.stop()

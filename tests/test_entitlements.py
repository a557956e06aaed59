"""GetEntitlements and CheckEntitlement through the sidecar, real boto3 and the emulator (JSON 1.1 or CBOR)."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from metering_sidecar._app import Sidecar
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.core._clock import ManualClock
from metering_sidecar.emulator import EmulatorServer
from metering_sidecar.marketplace import BotoMarketplace

from tests.conftest import PRODUCT, START, SidecarFactory, fake_session

LICENSE = "arn:aws:license-manager::123456789012:license:l-{:016x}"


def seed(emulator: EmulatorServer, count: int = 60) -> None:
    """Seed ``count`` entitlements over 6 accounts and 10 dimensions, of every value type."""
    values = [{"IntegerValue": 5}, {"DoubleValue": 2.5}, {"BooleanValue": True}, {"StringValue": "gold"}]
    emulator.state.set_entitlements([
        {
            "ProductCode": PRODUCT,
            "Dimension": f"dim-{i % 10}",
            "CustomerAWSAccountId": f"{100000000000 + i % 6}",
            "LicenseArn": LICENSE.format(i % 6),
            "Value": values[i % 4],
            "ExpirationDate": START + 86400,
        }
        for i in range(count)
    ] + [{"ProductCode": "other-product", "Dimension": "dim-0", "CustomerAWSAccountId": "100000000000",
          "Value": {"IntegerValue": 1}}])  # fmt: skip


async def test_the_wire_protocol_is_the_one_botocore_resolves(
    stub: pb_grpc.MeteringSidecarAsyncStub, emulator: EmulatorServer
) -> None:
    """The entitlement model lists CBOR first and JSON second; this says which one boto3 really sends."""
    import botocore

    seed(emulator, count=3)
    await get(stub)
    client = fake_session().client("marketplace-entitlement", region_name="us-east-1")
    resolved = getattr(client.meta.service_model, "resolved_protocol", client.meta.service_model.protocol)
    sent = emulator.state.stats.protocols["get_entitlements"]
    assert sent == {"json": "json", "smithy-rpc-v2-cbor": "cbor"}[resolved]
    if tuple(int(p) for p in botocore.__version__.split(".")[:2]) <= (1, 43):
        assert sent == "json"  # observed with botocore 1.40 to 1.43; a newer one may switch to CBOR


async def get(stub: pb_grpc.MeteringSidecarAsyncStub, **filters: str) -> pb.GetEntitlementsResponse:
    """Call GetEntitlements."""
    return await stub.GetEntitlements(pb.GetEntitlementsRequest(**filters))


async def test_every_page_comes_back(
    stub: pb_grpc.MeteringSidecarAsyncStub, emulator: EmulatorServer
) -> None:
    """60 entitlements over 3+ pages (with empty pages that carry a token) all come back, values typed."""
    seed(emulator)
    emulator.state.settings.empty_pages = True
    answer = await get(stub)
    assert len(answer.entitlements) == 60
    assert emulator.state.stats.entitlement_calls >= 5  # 3 pages of at most 25, plus empty ones
    assert {e.WhichOneof("value") for e in answer.entitlements} == {
        "integer_value", "double_value", "boolean_value", "string_value",
    }  # fmt: skip
    first = answer.entitlements[0]
    assert (first.integer_value, first.expiration_date.seconds) == (5, int(START + 86400))
    assert not answer.stale
    assert answer.fetched_at.seconds == int(START)


async def test_filter_combination(stub: pb_grpc.MeteringSidecarAsyncStub, emulator: EmulatorServer) -> None:
    """Filters on account and dimension are AND-ed; another product's entitlements never appear."""
    seed(emulator)
    answer = await get(stub, customer_aws_account_id="100000000000", dimension="dim-0")
    expected = [i for i in range(60) if i % 6 == 0 and i % 10 == 0]
    assert len(answer.entitlements) == len(expected) == 2
    assert {(e.customer_aws_account_id, e.dimension, e.product_code) for e in answer.entitlements} == {
        ("100000000000", "dim-0", PRODUCT)
    }
    by_license = await get(stub, license_arn=LICENSE.format(1), dimension="dim-1")
    assert [e.license_arn for e in by_license.entitlements] == [LICENSE.format(1)] * 2


async def test_cache_hit_makes_no_call(
    stub: pb_grpc.MeteringSidecarAsyncStub, emulator: EmulatorServer, clock: ManualClock
) -> None:
    """Within --entitlement-ttl-seconds a repeated query is served from the cache; after it, AWS is asked."""
    seed(emulator)
    await get(stub, dimension="dim-3")
    calls = emulator.state.stats.entitlement_calls
    clock.advance(59)
    await get(stub, dimension="dim-3")
    assert emulator.state.stats.entitlement_calls == calls
    await get(stub, dimension="dim-4")  # another query is another cache entry
    assert emulator.state.stats.entitlement_calls == calls + 1
    clock.advance(2)
    await get(stub, dimension="dim-3")
    assert emulator.state.stats.entitlement_calls == calls + 2


async def test_stale_if_error_then_unavailable(
    stub: pb_grpc.MeteringSidecarAsyncStub, emulator: EmulatorServer, clock: ManualClock
) -> None:
    """With 100% 5xx the cached answer is served with stale=true, until the maximum staleness passes."""
    seed(emulator)
    fresh = await get(stub, dimension="dim-1")
    emulator.state.update_faults({"error_rate": 1.0})
    clock.advance(61)
    stale = await get(stub, dimension="dim-1")
    assert stale.stale
    assert len(stale.entitlements) == len(fresh.entitlements) == 6
    assert stale.fetched_at == fresh.fetched_at
    clock.set(START + 3600)
    assert (await get(stub, dimension="dim-1")).stale
    clock.set(START + 3601)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await get(stub, dimension="dim-1")
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    with pytest.raises(grpc.aio.AioRpcError) as never_cached:
        await get(stub, dimension="dim-2")
    assert never_cached.value.code() == grpc.StatusCode.UNAVAILABLE
    emulator.state.update_faults({"error_rate": 0.0})
    recovered = await get(stub, dimension="dim-1")
    assert not recovered.stale


async def test_concurrent_identical_queries_make_one_call(
    stub: pb_grpc.MeteringSidecarAsyncStub, emulator: EmulatorServer
) -> None:
    """Twenty identical queries arriving together share one AWS call."""
    seed(emulator, count=10)
    emulator.state.update_faults({"delay_seconds": 0.3})
    answers = await asyncio.gather(*[get(stub, dimension="dim-5") for _ in range(20)])
    assert emulator.state.stats.entitlement_calls == 1
    assert {len(a.entitlements) for a in answers} == {1}


async def test_check_entitlement(
    stub: pb_grpc.MeteringSidecarAsyncStub, emulator: EmulatorServer, clock: ManualClock
) -> None:
    """CheckEntitlement: entitled with the entitlement; not for others; expired entitlements do not count."""
    seed(emulator, count=12)
    yes = await stub.CheckEntitlement(
        pb.CheckEntitlementRequest(customer_aws_account_id="100000000000", dimension="dim-0")
    )
    assert yes.entitled
    assert yes.entitlement.integer_value == 5
    no = await stub.CheckEntitlement(
        pb.CheckEntitlementRequest(customer_aws_account_id="999", dimension="dim-0")
    )
    assert not no.entitled
    clock.set(START + 86400 + 1)
    expired = await stub.CheckEntitlement(
        pb.CheckEntitlementRequest(customer_aws_account_id="100000000000", dimension="dim-0")
    )
    assert not expired.entitled
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.CheckEntitlement(pb.CheckEntitlementRequest(dimension="dim-0"))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_product_defaults_and_is_required(
    make_sidecar: SidecarFactory, emulator: EmulatorServer
) -> None:
    """product_code defaults to --product-code; with neither, INVALID_ARGUMENT."""
    seed(emulator, count=3)
    sidecar = await make_sidecar(product_code="")
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await get(stub)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert len((await get(stub, product_code=PRODUCT)).entitlements) == 3


def test_entitlement_client_is_pinned_to_us_east_1() -> None:
    """The entitlement service lives in us-east-1 only: the adapter pins it whatever the region."""
    marketplace = BotoMarketplace(region="eu-west-1", session=fake_session())
    assert marketplace._entitlement.meta.region_name == "us-east-1"
    assert marketplace._metering.meta.region_name == "eu-west-1"


async def test_sidecar_status_unaffected(sidecar: Sidecar) -> None:
    """Entitlement trouble is not readiness trouble (nothing in GetStatus changes)."""
    assert sidecar.health.serving

"""ResolveCustomer through the sidecar, real boto3 and the emulator: storage, tenant binding, errors."""

from __future__ import annotations

import asyncio
import io
import json
import socket

import grpc
import pytest
from metering_sidecar._app import Sidecar
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.emulator import EmulatorServer

from tests.conftest import SidecarFactory, db_rows
from tests.test_operations import cli

LICENSE_A = "arn:aws:license-manager::123456789012:license:l-aaaaaaaaaaaaaaaa"
LICENSE_B = "arn:aws:license-manager::123456789012:license:l-bbbbbbbbbbbbbbbb"
BUYER = "210987654321"


@pytest.fixture
def tokens(emulator: EmulatorServer) -> EmulatorServer:
    """Seed registration tokens: two licenses of one account (Concurrent Agreements), and a legacy one."""
    emulator.state.add_tokens({
        "tok-a": {"CustomerAWSAccountId": BUYER, "ProductCode": "prod-abc123", "LicenseArn": LICENSE_A},
        "tok-a-again": {"CustomerAWSAccountId": BUYER, "ProductCode": "prod-abc123", "LicenseArn": LICENSE_A},
        "tok-b": {"CustomerAWSAccountId": BUYER, "ProductCode": "prod-abc123", "LicenseArn": LICENSE_B},
        "tok-legacy": {"CustomerIdentifier": "cust-legacy", "CustomerAWSAccountId": "", "ProductCode": "prod-abc123"},
    })  # fmt: skip
    emulator.state.settings.expired_tokens.add("tok-old")
    return emulator


async def resolve(
    stub: pb_grpc.MeteringSidecarAsyncStub, token: str, tenant: str = ""
) -> pb.ResolveCustomerResponse:
    """Call ResolveCustomer."""
    return await stub.ResolveCustomer(pb.ResolveCustomerRequest(registration_token=token, tenant_id=tenant))


async def test_resolved_customer_is_stored(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, tokens: EmulatorServer
) -> None:
    """A resolved customer is stored with its tenant and first/last resolution times; the token is not."""
    answer = await resolve(stub, "tok-a", "tenant-1")
    assert (answer.customer_aws_account_id, answer.license_arn, answer.product_code) == (
        BUYER,
        LICENSE_A,
        "prod-abc123",
    )
    assert answer.new_customer
    assert answer.tenant_id == "tenant-1"
    rows = db_rows(
        sidecar.config.db,
        "SELECT customer_aws_account_id, license_arn, tenant_id, first_resolved_ms FROM customers",
    )
    assert rows == [(BUYER, LICENSE_A, "tenant-1", int(sidecar.clock.now() * 1000))]
    assert "tok-a" not in str(db_rows(sidecar.config.db, "SELECT * FROM registration_tokens"))
    listed = await stub.ListCustomers(pb.ListCustomersRequest())
    assert [(c.license_arn, c.tenant_id) for c in listed.customers] == [(LICENSE_A, "tenant-1")]


async def test_resubmitted_token_is_answered_from_the_store(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, tokens: EmulatorServer
) -> None:
    """The same token again is harmless: answered from the store though AWS would now say expired."""
    first = await resolve(stub, "tok-a", "tenant-1")
    sidecar.clock.advance(600)  # type: ignore[attr-defined]
    again = await resolve(stub, "tok-a", "tenant-1")
    assert again.license_arn == first.license_arn
    assert not again.new_customer
    assert tokens.state.stats.resolve_calls == 1
    [(first_ms, last_ms)] = db_rows(
        sidecar.config.db, "SELECT first_resolved_ms, last_resolved_ms FROM customers"
    )
    assert last_ms - first_ms == 600_000


async def test_second_tenant_claiming_the_license_is_refused(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, tokens: EmulatorServer
) -> None:
    """A license bound to one tenant cannot be claimed by another: FAILED_PRECONDITION and no change."""
    await resolve(stub, "tok-a", "tenant-1")
    before = db_rows(sidecar.config.db, "SELECT * FROM customers")
    for token in ("tok-a-again", "tok-a"):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await resolve(stub, token, "tenant-2")
        assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "already bound to another tenant" in (info.value.details() or "")
    assert db_rows(sidecar.config.db, "SELECT * FROM customers") == before
    assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM registration_tokens") == [(1,)]


async def test_one_account_may_hold_licenses_of_several_tenants(
    stub: pb_grpc.MeteringSidecarAsyncStub, tokens: EmulatorServer
) -> None:
    """Concurrent Agreements: two licenses of one AWS account bind to two tenants."""
    assert (await resolve(stub, "tok-a", "tenant-1")).new_customer
    second = await resolve(stub, "tok-b", "tenant-2")
    assert second.new_customer
    assert second.customer_aws_account_id == BUYER


async def test_legacy_customer_without_license_binds_on_customer_id(
    stub: pb_grpc.MeteringSidecarAsyncStub, tokens: EmulatorServer
) -> None:
    """Without a license the binding is on the customer identifier."""
    answer = await resolve(stub, "tok-legacy", "tenant-9")
    assert (answer.customer_identifier, answer.license_arn) == ("cust-legacy", "")
    tokens.state.add_tokens(
        {"tok-legacy-2": {"CustomerIdentifier": "cust-legacy", "ProductCode": "prod-abc123"}}
    )
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await resolve(stub, "tok-legacy-2", "tenant-10")
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION


@pytest.mark.parametrize(
    ("token", "fault", "code", "message"),
    [
        (
            "no-such-token",
            {},
            grpc.StatusCode.INVALID_ARGUMENT,
            "registration_token: AWS says the token is invalid",
        ),
        ("tok-old", {}, grpc.StatusCode.FAILED_PRECONDITION, "restart registration"),
        ("tok-a", {"disabled": True}, grpc.StatusCode.FAILED_PRECONDITION, "disabled"),
        ("tok-a", {"throttle_rate": 1.0}, grpc.StatusCode.UNAVAILABLE, "ThrottlingException"),
        ("tok-a", {"error_rate": 1.0}, grpc.StatusCode.UNAVAILABLE, "InternalServiceErrorException"),
        ("", {}, grpc.StatusCode.INVALID_ARGUMENT, "registration_token: is required"),
    ],
    ids=["invalid", "expired", "disabled", "throttling", "internal-error", "empty"],
)
async def test_token_errors(
    sidecar: Sidecar,
    stub: pb_grpc.MeteringSidecarAsyncStub,
    tokens: EmulatorServer,
    token: str,
    fault: dict[str, object],
    code: grpc.StatusCode,
    message: str,
) -> None:
    """Each AWS error maps to its status; throttling and 5xx are retried (3 calls) before UNAVAILABLE."""
    tokens.state.update_faults(fault)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await resolve(stub, token, "tenant-1")
    assert info.value.code() == code
    assert message in (info.value.details() or "")
    retried = code == grpc.StatusCode.UNAVAILABLE
    assert tokens.state.stats.resolve_calls == (3 if retried else 0 if not token else 1)
    assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM customers") == [(0,)]


async def test_transient_failure_then_success_is_retried(
    stub: pb_grpc.MeteringSidecarAsyncStub, tokens: EmulatorServer
) -> None:
    """Two throttled ResolveCustomer calls, then success: the RPC answers OK after three attempts."""
    tokens.state.update_faults({"throttle_next": 2})
    answer = await resolve(stub, "tok-a", "t")
    assert answer.license_arn == LICENSE_A
    assert tokens.state.stats.resolve_calls == 3


async def test_customers_list_command(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, tokens: EmulatorServer
) -> None:
    """`metering-sidecar customers list` prints every stored customer as JSON lines."""
    await resolve(stub, "tok-a", "tenant-1")
    await resolve(stub, "tok-b", "tenant-2")
    code, out = await cli(sidecar.target, "customers", "list")
    assert code == 0
    rows = [json.loads(line) for line in io.StringIO(out)]
    assert [(r["license_arn"], r["tenant_id"]) for r in rows] == [
        (LICENSE_A, "tenant-1"),
        (LICENSE_B, "tenant-2"),
    ]


UNKNOWN = "the outcome of ResolveCustomer is unknown"
RESTART = "restart registration"


async def test_dropped_answer_is_not_resent_and_says_the_outcome_is_unknown(
    make_sidecar: SidecarFactory, tokens: EmulatorServer
) -> None:
    """AWS resolved the token but the answer was lost: one call (no SDK or stamina resend, even with
    --aws-max-attempts 3), UNAVAILABLE saying the outcome is unknown; AWS then refuses the token as
    resubmitted, and the RPC says the buyer must restart registration from AWS Marketplace."""
    sidecar = await make_sidecar(aws_max_attempts=3)
    tokens.state.update_faults({"drop_rate": 1.0})
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await resolve(stub, "tok-a", "tenant-1")
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE
        assert UNKNOWN in (info.value.details() or "")
        assert "Call ResolveCustomer again" in (info.value.details() or "")
        assert (tokens.state.stats.resolve_calls, tokens.state.stats.dropped) == (1, 1)
        tokens.state.update_faults({"drop_rate": 0.0})
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await resolve(stub, "tok-a", "tenant-1")
        assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert RESTART in (info.value.details() or "")
        assert "AWS Marketplace" in (info.value.details() or "")
    assert tokens.state.stats.resolve_calls == 2
    assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM customers") == [(0,)]


async def test_later_call_that_aws_answers_stores_the_customer_once(
    make_sidecar: SidecarFactory, tokens: EmulatorServer
) -> None:
    """After an unknown outcome, a later call that AWS answers stores the customer exactly once, and
    the call after that is answered from the store."""
    tokens.state.settings.expire_resubmitted_tokens = False  # AWS may also answer a resubmission
    sidecar = await make_sidecar(aws_max_attempts=3)
    tokens.state.update_faults({"drop_rate": 1.0})
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await resolve(stub, "tok-a", "tenant-1")
        assert UNKNOWN in (info.value.details() or "")
        tokens.state.update_faults({"drop_rate": 0.0})
        answer = await resolve(stub, "tok-a", "tenant-1")
        assert (answer.license_arn, answer.new_customer) == (LICENSE_A, True)
        again = await resolve(stub, "tok-a", "tenant-1")
        assert (again.license_arn, again.new_customer) == (LICENSE_A, False)
    assert tokens.state.stats.resolve_calls == 2
    assert db_rows(sidecar.config.db, "SELECT license_arn, tenant_id FROM customers") == [
        (LICENSE_A, "tenant-1")
    ]


async def test_hung_resolve_is_sent_once_and_its_outcome_is_unknown(
    make_sidecar: SidecarFactory, tokens: EmulatorServer
) -> None:
    """A read timeout (AWS hung after taking the call) is not resent: one send, outcome unknown."""
    sidecar = await make_sidecar(aws_max_attempts=3, aws_timeout_seconds=0.3)
    tokens.state.update_faults({"hang": True})
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await resolve(pb_grpc.MeteringSidecarStub(channel), "tok-a", "tenant-1")
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    assert UNKNOWN in (info.value.details() or "")
    assert "ReadTimeoutError" in (info.value.details() or "")
    assert tokens.state.stats.hung == 1


async def test_resolve_past_its_call_deadline_is_not_resent(
    make_sidecar: SidecarFactory, tokens: EmulatorServer
) -> None:
    """The call deadline passing while AWS holds the call: one send, outcome unknown."""
    # Long enough that the call surely leaves before its deadline on a loaded machine (then AWS holds it).
    sidecar = await make_sidecar(aws_timeout_seconds=2.0, aws_call_deadline_seconds=2.0)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        with pytest.raises(grpc.aio.AioRpcError):  # makes the SDK client, so the deadline is all AWS's
            await resolve(stub, "no-such-token", "tenant-1")
        tokens.state.update_faults({"hang": True})
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await resolve(stub, "tok-a", "tenant-1")
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    assert UNKNOWN in (info.value.details() or "")
    assert tokens.state.stats.hung == 1


async def test_unsent_and_refused_calls_are_still_retried_without_sdk_resends(
    make_sidecar: SidecarFactory, tokens: EmulatorServer
) -> None:
    """Throttling came with an answer (not processed): retried by the RPC (3 attempts) but never by the
    SDK, even with --aws-max-attempts 3 (that would be 9 calls)."""
    sidecar = await make_sidecar(aws_max_attempts=3)
    tokens.state.update_faults({"throttle_rate": 1.0})
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await resolve(pb_grpc.MeteringSidecarStub(channel), "tok-a", "tenant-1")
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "ThrottlingException" in (info.value.details() or "")
    assert UNKNOWN not in (info.value.details() or "")
    assert tokens.state.stats.resolve_calls == 3


async def test_unreachable_aws_is_retried_and_not_called_unknown(
    make_sidecar: SidecarFactory, tokens: EmulatorServer
) -> None:
    """Connection refused: the token never left, so retrying is safe and the answer is plain UNAVAILABLE."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
        sidecar = await make_sidecar(metering_endpoint_url=url)
        async with grpc.aio.insecure_channel(sidecar.target) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await resolve(pb_grpc.MeteringSidecarStub(channel), "tok-a", "tenant-1")
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "EndpointConnectionError" in (info.value.details() or "")
    assert UNKNOWN not in (info.value.details() or "")


async def test_double_submit_shares_one_call(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, tokens: EmulatorServer
) -> None:
    """A buyer's double submit (two ResolveCustomer at once for one token) sends the token once: both
    answered, the customer stored once (a second send would be refused as resubmitted)."""
    tokens.state.update_faults({"delay_seconds": 0.5})
    first, second = await asyncio.gather(
        resolve(stub, "tok-a", "tenant-1"), resolve(stub, "tok-a", "tenant-1")
    )
    assert {first.license_arn, second.license_arn} == {LICENSE_A}
    assert sorted([first.new_customer, second.new_customer]) == [False, True]
    assert tokens.state.stats.resolve_calls == 1
    assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM customers") == [(1,)]


async def test_double_submit_with_a_lost_answer_is_unknown_for_both(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, tokens: EmulatorServer
) -> None:
    """When the one shared call loses its answer, both callers hear the outcome is unknown; one send."""
    tokens.state.update_faults({"delay_seconds": 0.5, "drop_rate": 1.0})
    answers = await asyncio.gather(
        resolve(stub, "tok-a", "tenant-1"), resolve(stub, "tok-a", "tenant-1"), return_exceptions=True
    )
    for answer in answers:
        assert isinstance(answer, grpc.aio.AioRpcError)
        assert answer.code() == grpc.StatusCode.UNAVAILABLE
        assert UNKNOWN in (answer.details() or "")
    assert tokens.state.stats.resolve_calls == 1


async def test_an_answer_after_the_callers_deadline_is_stored_and_announced_once(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, tokens: EmulatorServer
) -> None:
    """AWS answers after the caller gave up: the sidecar still stores the customer (the token is never
    resent), and the next call with the token hears new_customer=true once, so the tenant is provisioned."""
    tokens.state.update_faults({"delay_seconds": 1.0})
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.ResolveCustomer(
            pb.ResolveCustomerRequest(registration_token="tok-a", tenant_id="tenant-1"), timeout=0.4
        )
    assert info.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    for _ in range(100):  # the sidecar keeps waiting for AWS's answer, and stores it
        if db_rows(sidecar.config.db, "SELECT COUNT(*) FROM customers") == [(1,)]:
            break
        await asyncio.sleep(0.05)
    tokens.state.update_faults({"delay_seconds": 0})
    again = await resolve(stub, "tok-a", "tenant-1")
    assert (again.license_arn, again.tenant_id, again.new_customer) == (LICENSE_A, "tenant-1", True)
    assert (await resolve(stub, "tok-a", "tenant-1")).new_customer is False
    assert tokens.state.stats.resolve_calls == 1  # never resent, although the first caller gave up


async def test_a_token_with_a_line_break_is_invalid_and_never_sent(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, tokens: EmulatorServer
) -> None:
    """A token with a line break, a blank or another control character is INVALID_ARGUMENT naming the field;
    AWS is not called (surrounding blanks are trimmed, as before)."""
    for bad in ("tok-a\r\nX: 1", "tok a", "tok\x00a"):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await resolve(stub, bad, "tenant-1")
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "registration_token: must be printable ASCII without blanks" in (info.value.details() or "")
    assert tokens.state.stats.resolve_calls == 0
    assert (await resolve(stub, " tok-a\n", "tenant-1")).customer_aws_account_id

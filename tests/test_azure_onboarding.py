"""Azure onboarding through a real gRPC server and a real SQLite store: ResolveAzureSubscription,
ActivateAzureSubscription and GetAzureSubscription.

Azure is played by ``AzureStandIn``, an implementation of the sidecar's own ``AzureApi`` seam (the
Protocol the HTTP adapter satisfies) that keeps subscriptions, can fail, hang and lose answers, and
counts every call.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.api import MeteringServicer, Rules
from metering_sidecar.core import ManualClock, RemoteError
from metering_sidecar.onboarding import AzureOnboarding, Entitlements, Onboarding
from metering_sidecar.shipping import Backoff, Flusher, Shipper
from metering_sidecar.store import Store, StoreSettings
from metering_sidecar.targets import AzureSubscription, AzureUsageResult

from tests.conftest import HOUR, PRODUCT, boto_marketplace, db_rows

SUB_A = "6f1c2b0e-4d5a-4b1e-9c3d-2a7e8f901234"
SUB_B = "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b"
TOKEN_A = "landing-token-A/secret+value=="
TTL = 300.0
MAX_STALE = 3600.0
SETTINGS = StoreSettings(window_seconds=HOUR, max_record_age=6 * HOUR, expiry_margin=900)
RETRYABLE = {"Throttled", "ServiceError"}


class AzureStandIn:
    """Azure's SaaS fulfillment API as the sidecar sees it: subscriptions by token and by id."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}
        self.subscriptions: dict[str, AzureSubscription] = {}
        self.calls: Counter[str] = Counter()
        self.failures: defaultdict[str, list[str]] = defaultdict(list)  # method -> codes for its next calls
        self.lose_answer: set[str] = set()  # methods whose next answer is lost after Azure acted
        self.hang: asyncio.Event | None = None  # resolve waits for it
        self.resolving = asyncio.Event()  # set when a resolve call has come in
        self.activations: list[tuple[str, str, int]] = []

    def add(self, token: str, subscription_id: str, *, plan: str = "basic", quantity: int = 0) -> None:
        """Let ``token`` resolve to a subscription pending activation."""
        self.tokens[token] = subscription_id
        self.subscriptions.setdefault(
            subscription_id,
            AzureSubscription(
                subscription_id=subscription_id, offer_id="contoso-offer", plan_id=plan, quantity=quantity,
                status="PendingFulfillmentStart", purchaser_tenant_id="aad-purchaser",
                beneficiary_tenant_id="aad-beneficiary", name=f"sub {subscription_id[:4]}",
            ),
        )  # fmt: skip

    def fail(self, method: str, code: str, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``code``."""
        self.failures[method].extend([code] * times)

    def _enter(self, method: str) -> None:
        self.calls[method] += 1
        if self.failures[method]:
            code = self.failures[method].pop(0)
            raise RemoteError(code, f"Azure says {code}", retryable=code in RETRYABLE)

    def _answered(self, method: str) -> None:
        if method in self.lose_answer:
            self.lose_answer.discard(method)
            raise RemoteError("Timeout", "no answer within the call deadline", retryable=False)

    def _subscription(self, subscription_id: str) -> AzureSubscription:
        if subscription_id not in self.subscriptions:
            raise RemoteError("NotFound", "no such subscription", retryable=False)
        return self.subscriptions[subscription_id]

    async def batch_usage_event(self, events: Sequence[Mapping[str, Any]]) -> Sequence[AzureUsageResult]:
        """Not used by onboarding."""
        raise AssertionError("onboarding sends no usage")

    async def resolve_subscription(self, marketplace_token: str) -> AzureSubscription:
        """Resolve a token (after ``hang`` is set, if it is there)."""
        self._enter("resolve")
        self.resolving.set()
        if self.hang is not None:
            await self.hang.wait()
        if marketplace_token not in self.tokens:
            raise RemoteError("BadRequest", "the token is invalid or expired", retryable=False)
        return self._subscription(self.tokens[marketplace_token])

    async def activate_subscription(self, subscription_id: str, plan_id: str, quantity: int) -> None:
        """Activate; like an API that is not idempotent, refuse one that is active already."""
        self._enter("activate")
        subscription = self._subscription(subscription_id)
        if subscription.status == "Subscribed":
            raise RemoteError("BadRequest", "the subscription is not pending activation", retryable=False)
        self.subscriptions[subscription_id] = dataclasses.replace(
            subscription, status="Subscribed", plan_id=plan_id, quantity=quantity or subscription.quantity
        )
        self.activations.append((subscription_id, plan_id, quantity))
        self._answered("activate")

    async def get_subscription(self, subscription_id: str) -> AzureSubscription:
        """Describe a subscription."""
        self._enter("get")
        return self._subscription(subscription_id)

    async def close(self) -> None:
        """Nothing to release."""


@dataclass
class Azure:
    """The server under test and what the test reaches into."""

    stub: pb_grpc.MeteringSidecarAsyncStub
    api: AzureStandIn
    db: Path
    clock: ManualClock


@pytest.fixture
async def azure(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Azure]:
    """A MeteringServicer with Azure onboarding over the stand-in, on loopback, on a real SQLite file."""
    api = AzureStandIn()
    api.add(TOKEN_A, SUB_A)
    path = tmp_path / "sidecar.db"
    marketplace = boto_marketplace("http://127.0.0.1:9")  # AWS is never called here
    async with Store(path, SETTINGS, clock) as store:
        flusher = Flusher(
            store, Shipper(store.ledger, marketplace, Backoff(cap=0.0)), clock, interval=HOUR, close_delay=60
        )
        servicer = MeteringServicer(
            store, flusher, Rules(), clock, Onboarding(store.customers, marketplace, clock),
            Entitlements(marketplace, clock, ttl=TTL, max_stale=MAX_STALE, default_product=PRODUCT),
            azure=AzureOnboarding(store.azure_subscriptions, api, clock, ttl=TTL, max_stale=MAX_STALE),
        )  # fmt: skip
        server = grpc.aio.server()
        pb_grpc.add_MeteringSidecarServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                yield Azure(pb_grpc.MeteringSidecarStub(channel), api, path, clock)
        finally:
            await server.stop(None)


async def resolve(
    azure: Azure, token: str, tenant: str = "", **kwargs: Any
) -> pb.ResolveAzureSubscriptionResponse:
    """Call ResolveAzureSubscription."""
    request = pb.ResolveAzureSubscriptionRequest(marketplace_token=token, tenant_id=tenant)
    return await azure.stub.ResolveAzureSubscription(request, **kwargs)


async def activate(
    azure: Azure, subscription_id: str, plan: str = "", quantity: int = 0
) -> pb.AzureSubscription:
    """Call ActivateAzureSubscription; return the subscription it answers with."""
    request = pb.ActivateAzureSubscriptionRequest(
        subscription_id=subscription_id, plan_id=plan, quantity=quantity
    )
    return (await azure.stub.ActivateAzureSubscription(request)).subscription


async def get(azure: Azure, subscription_id: str) -> pb.GetAzureSubscriptionResponse:
    """Call GetAzureSubscription."""
    return await azure.stub.GetAzureSubscription(
        pb.GetAzureSubscriptionRequest(subscription_id=subscription_id)
    )


async def refused(call: Any, code: grpc.StatusCode, message: str) -> None:
    """Await ``call`` and check it fails with ``code`` and a message containing ``message``."""
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    assert info.value.code() == code, info.value.details()
    assert message in (info.value.details() or "")


def subscriptions(azure: Azure) -> list[tuple[Any, ...]]:
    """Return the stored subscriptions: id, plan, status, tenant."""
    return db_rows(azure.db, "SELECT subscription_id, plan_id, status, tenant_id FROM azure_subscriptions")


# --- ResolveAzureSubscription ---------------------------------------------------------------------


async def test_resolve_stores_and_binds_keeping_only_the_tokens_hash(
    azure: Azure, caplog: pytest.LogCaptureFixture
) -> None:
    """The subscription is stored bound to the tenant; the token is kept as its SHA-256 only, and appears in
    no byte of the SQLite files and no log line."""
    caplog.set_level("DEBUG")
    answer = await resolve(azure, TOKEN_A, "tenant-1")
    assert answer.new_subscription
    got = answer.subscription
    assert (got.subscription_id, got.offer_id, got.plan_id, got.status, got.tenant_id) == (
        SUB_A, "contoso-offer", "basic", "PendingFulfillmentStart", "tenant-1",
    )  # fmt: skip
    assert (got.purchaser_tenant_id, got.beneficiary_tenant_id) == ("aad-purchaser", "aad-beneficiary")
    assert subscriptions(azure) == [(SUB_A, "basic", "PendingFulfillmentStart", "tenant-1")]
    now_ms = int(azure.clock.now() * 1000)
    assert db_rows(azure.db, "SELECT first_resolved_ms, last_resolved_ms FROM azure_subscriptions") == [
        (now_ms, now_ms)
    ]
    digest = hashlib.sha256(TOKEN_A.encode()).hexdigest()
    assert db_rows(azure.db, "SELECT token_sha256, subscription_id FROM azure_tokens") == [(digest, SUB_A)]
    files = list(azure.db.parent.glob(azure.db.name + "*"))
    assert files
    assert all(TOKEN_A.encode() not in f.read_bytes() for f in files)
    assert TOKEN_A not in caplog.text
    assert SUB_A in caplog.text  # the log does say what was resolved


async def test_new_subscription_is_announced_once(azure: Azure) -> None:
    """The same token again is answered from the store (no call to Azure), another token for the same
    subscription is resolved but not new; both refresh last_resolved."""
    assert (await resolve(azure, TOKEN_A, "tenant-1")).new_subscription
    azure.clock.advance(600)
    again = await resolve(azure, TOKEN_A, "tenant-1")
    assert not again.new_subscription
    assert again.subscription.subscription_id == SUB_A
    assert azure.api.calls["resolve"] == 1
    azure.api.add("second-token", SUB_A)
    other = await resolve(azure, "second-token", "tenant-1")
    assert not other.new_subscription
    assert azure.api.calls["resolve"] == 2
    [(first_ms, last_ms)] = db_rows(
        azure.db, "SELECT first_resolved_ms, last_resolved_ms FROM azure_subscriptions"
    )
    assert last_ms - first_ms == 600_000
    assert db_rows(azure.db, "SELECT COUNT(*) FROM azure_tokens") == [(2,)]


async def test_a_transient_failure_is_retried_within_the_call(azure: Azure) -> None:
    """Throttling then a 5xx, then success: one RPC, three calls to Azure (resolve may be resent)."""
    azure.api.fail("resolve", "Throttled")
    azure.api.fail("resolve", "ServiceError")
    answer = await resolve(azure, TOKEN_A, "tenant-1")
    assert answer.new_subscription
    assert azure.api.calls["resolve"] == 3


async def test_a_failed_resolve_stores_nothing_and_may_be_called_again(azure: Azure) -> None:
    """Throttled on every attempt: UNAVAILABLE and nothing stored; the next call resends the token."""
    azure.api.fail("resolve", "Throttled", times=3)
    await refused(resolve(azure, TOKEN_A, "tenant-1"), grpc.StatusCode.UNAVAILABLE, "Throttled")
    assert subscriptions(azure) == []
    assert (await resolve(azure, TOKEN_A, "tenant-1")).new_subscription
    assert azure.api.calls["resolve"] == 4


async def test_concurrent_callers_share_one_resolve_and_one_hears_new(azure: Azure) -> None:
    """A buyer's double submit: two calls with one token while Azure is slow make one call to Azure."""
    azure.api.hang = asyncio.Event()
    calls = [asyncio.ensure_future(resolve(azure, TOKEN_A, "tenant-1")) for _ in range(2)]
    await azure.api.resolving.wait()
    azure.api.hang.set()
    answers = await asyncio.gather(*calls)
    assert sorted(a.new_subscription for a in answers) == [False, True]
    assert azure.api.calls["resolve"] == 1


async def test_a_caller_that_left_leaves_new_subscription_to_the_next(azure: Azure) -> None:
    """The first caller cancels while Azure is slow: Azure's answer is still stored, and the next caller
    (answered from the store, without a call) is the one that hears new_subscription."""
    azure.api.hang = asyncio.Event()
    first = azure.stub.ResolveAzureSubscription(
        pb.ResolveAzureSubscriptionRequest(marketplace_token=TOKEN_A, tenant_id="tenant-1")
    )
    await azure.api.resolving.wait()
    first.cancel()
    azure.api.hang.set()
    for _ in range(1000):  # stored by the sidecar on its own: no caller is waiting
        if subscriptions(azure):
            break
        await asyncio.sleep(0.01)
    assert db_rows(azure.db, "SELECT announced FROM azure_subscriptions") == [(0,)]
    answer = await resolve(azure, TOKEN_A, "tenant-1")
    assert answer.new_subscription
    assert azure.api.calls["resolve"] == 1


async def test_a_caller_whose_deadline_passes_hears_why(azure: Azure) -> None:
    """Azure hangs past the caller's deadline: DEADLINE_EXCEEDED saying to call again with the same token."""
    azure.api.hang = asyncio.Event()
    await refused(
        resolve(azure, TOKEN_A, "tenant-1", timeout=1.0),
        grpc.StatusCode.DEADLINE_EXCEEDED,
        "call ResolveAzureSubscription again with the same token",
    )
    azure.api.hang.set()
    assert (await resolve(azure, TOKEN_A, "tenant-1")).new_subscription


async def test_another_tenant_cannot_claim_a_bound_subscription(azure: Azure) -> None:
    """A subscription bound to one tenant is refused to another (FAILED_PRECONDITION, nothing changed);
    a call without a tenant still answers, and one tenant may hold several subscriptions."""
    await resolve(azure, TOKEN_A, "tenant-1")
    azure.api.add("second-token", SUB_A)
    for token in (TOKEN_A, "second-token"):
        await refused(
            resolve(azure, token, "tenant-2"),
            grpc.StatusCode.FAILED_PRECONDITION,
            "already bound to another tenant",
        )
    assert subscriptions(azure) == [(SUB_A, "basic", "PendingFulfillmentStart", "tenant-1")]
    assert (await resolve(azure, TOKEN_A)).subscription.tenant_id == "tenant-1"
    azure.api.add("token-b", SUB_B, plan="pro")
    second = await resolve(azure, "token-b", "tenant-1")
    assert second.new_subscription
    assert second.subscription.plan_id == "pro"


async def test_an_unbound_subscription_is_bound_by_the_first_tenant_that_claims_it(azure: Azure) -> None:
    """Resolved without a tenant, the subscription takes the first tenant that asks, and only that one."""
    assert (await resolve(azure, TOKEN_A)).subscription.tenant_id == ""
    assert (await resolve(azure, TOKEN_A, "tenant-2")).subscription.tenant_id == "tenant-2"
    await refused(resolve(azure, TOKEN_A, "tenant-3"), grpc.StatusCode.FAILED_PRECONDITION, "another tenant")


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("BadRequest", grpc.StatusCode.INVALID_ARGUMENT, "Configure account"),
        ("Forbidden", grpc.StatusCode.FAILED_PRECONDITION, "Entra app"),
        ("ConnectionError", grpc.StatusCode.UNAVAILABLE, "ConnectionError"),
    ],
)
async def test_azure_refusals_map_to_clear_errors(
    azure: Azure, code: str, status: grpc.StatusCode, message: str
) -> None:
    """Azure's non-retryable answers are not retried and say what to do."""
    azure.api.fail("resolve", code)
    await refused(resolve(azure, TOKEN_A, "tenant-1"), status, message)
    assert azure.api.calls["resolve"] == 1
    assert subscriptions(azure) == []


async def test_an_unknown_token_says_to_restart_from_azure(azure: Azure) -> None:
    """A token Azure cannot resolve is INVALID_ARGUMENT on marketplace_token, with the buyer's way out."""
    await refused(resolve(azure, "not-a-token", "t"), grpc.StatusCode.INVALID_ARGUMENT, "marketplace_token")


# --- Bad input ------------------------------------------------------------------------------------

BAD_INPUT = [
    ("resolve", {"marketplace_token": ""}, "marketplace_token: is required"),
    ("resolve", {"marketplace_token": "   "}, "marketplace_token: is required"),
    ("resolve", {"marketplace_token": "x" * 4097}, "marketplace_token: must be at most 4096 characters"),
    (
        "resolve",
        {"marketplace_token": "abc\r\nX-Evil: 1"},
        "marketplace_token: must be printable ASCII without",
    ),
    ("resolve", {"marketplace_token": "abc def"}, "marketplace_token: must be printable ASCII without"),
    ("resolve", {"marketplace_token": "abc\tdef"}, "marketplace_token: must be printable ASCII without"),
    ("resolve", {"marketplace_token": "t\u00f6ken"}, "marketplace_token: must be printable ASCII without"),
    ("resolve", {"marketplace_token": TOKEN_A, "tenant_id": "bad\ntenant"}, "tenant_id: must be at most 256"),
    ("activate", {"subscription_id": ""}, "subscription_id: must be an Azure SaaS subscription id"),
    ("activate", {"subscription_id": "sub-123"}, "subscription_id: must be an Azure SaaS subscription id"),
    ("activate", {"subscription_id": SUB_A, "plan_id": "no spaces"}, "plan_id: must be an Azure plan id"),
    ("activate", {"subscription_id": SUB_A, "quantity": -1}, "quantity: must be 0 (none) or a positive"),
    ("get", {"subscription_id": SUB_A + "0"}, "subscription_id: must be an Azure SaaS subscription id"),
]


@pytest.mark.parametrize(("rpc", "fields", "message"), BAD_INPUT)
async def test_bad_input_is_invalid_argument_and_reaches_no_one(
    azure: Azure, rpc: str, fields: dict[str, Any], message: str
) -> None:
    """Each bad field is named in INVALID_ARGUMENT; Azure is not called and nothing is stored."""
    await resolve(azure, TOKEN_A, "tenant-1")
    before = (subscriptions(azure), sum(azure.api.calls.values()))
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "resolve": lambda: azure.stub.ResolveAzureSubscription(pb.ResolveAzureSubscriptionRequest(**fields)),
        "activate": lambda: azure.stub.ActivateAzureSubscription(
            pb.ActivateAzureSubscriptionRequest(**fields)
        ),
        "get": lambda: azure.stub.GetAzureSubscription(pb.GetAzureSubscriptionRequest(**fields)),
    }
    await refused(calls[rpc](), grpc.StatusCode.INVALID_ARGUMENT, message)
    assert (subscriptions(azure), sum(azure.api.calls.values())) == before


# --- ActivateAzureSubscription --------------------------------------------------------------------


async def test_activating_an_unknown_subscription_is_not_found(azure: Azure) -> None:
    """A well-formed id the sidecar never resolved: NOT_FOUND naming ResolveAzureSubscription; Azure untouched."""
    await refused(activate(azure, SUB_B), grpc.StatusCode.NOT_FOUND, "call ResolveAzureSubscription")
    assert azure.api.calls["activate"] == 0


async def test_activate_defaults_to_the_resolved_plan_and_is_idempotent(azure: Azure) -> None:
    """Empty plan_id activates the resolved plan; the store says Subscribed; a repeat sends nothing."""
    await resolve(azure, TOKEN_A, "tenant-1")
    activated = await activate(azure, SUB_A.upper())  # GUIDs compare without case
    assert (activated.subscription_id, activated.plan_id, activated.status, activated.tenant_id) == (
        SUB_A, "basic", "Subscribed", "tenant-1",
    )  # fmt: skip
    assert azure.api.activations == [(SUB_A, "basic", 0)]
    assert subscriptions(azure) == [(SUB_A, "basic", "Subscribed", "tenant-1")]
    again = await activate(azure, SUB_A)
    assert again.status == "Subscribed"
    assert azure.api.calls["activate"] == 1


async def test_activate_on_another_plan_with_seats(azure: Azure) -> None:
    """plan_id and quantity are sent as given and kept."""
    await resolve(azure, TOKEN_A, "tenant-1")
    activated = await activate(azure, SUB_A, "pro", 5)
    assert (activated.plan_id, activated.quantity) == ("pro", 5)
    assert azure.api.activations == [(SUB_A, "pro", 5)]
    assert subscriptions(azure) == [(SUB_A, "pro", "Subscribed", "tenant-1")]


async def test_activate_retries_throttling_and_survives_a_lost_answer(azure: Azure) -> None:
    """Throttled once: retried in the call. An activation whose answer was lost: the RPC fails, and its
    repeat succeeds though Azure refuses a second activation, because Azure says it is active."""
    await resolve(azure, TOKEN_A, "tenant-1")
    azure.api.fail("activate", "Throttled")
    azure.api.lose_answer.add("activate")
    await refused(activate(azure, SUB_A), grpc.StatusCode.UNAVAILABLE, "Timeout")
    assert azure.api.calls["activate"] == 2
    assert subscriptions(azure) == [(SUB_A, "basic", "PendingFulfillmentStart", "tenant-1")]
    assert (await activate(azure, SUB_A)).status == "Subscribed"
    assert azure.api.calls["activate"] == 3
    assert subscriptions(azure) == [(SUB_A, "basic", "Subscribed", "tenant-1")]


async def test_activate_refused_by_azure_says_so(azure: Azure) -> None:
    """Azure refuses (a plan the offer does not have): FAILED_PRECONDITION naming the plan; nothing changed."""
    await resolve(azure, TOKEN_A, "tenant-1")
    azure.api.fail("activate", "BadRequest")
    await refused(activate(azure, SUB_A, "gold"), grpc.StatusCode.FAILED_PRECONDITION, "on plan gold")
    assert subscriptions(azure) == [(SUB_A, "basic", "PendingFulfillmentStart", "tenant-1")]


@pytest.mark.parametrize(
    ("rpc", "code", "status", "message"),
    [
        ("activate", "NotFound", grpc.StatusCode.NOT_FOUND, "Azure has no subscription"),
        ("activate", "Forbidden", grpc.StatusCode.FAILED_PRECONDITION, "Entra app"),
        ("get", "Forbidden", grpc.StatusCode.FAILED_PRECONDITION, "Entra app"),
        ("get", "BadRequest", grpc.StatusCode.INVALID_ARGUMENT, "Azure refused the request"),
    ],
)
async def test_azure_refusals_of_activate_and_get(
    azure: Azure, rpc: str, code: str, status: grpc.StatusCode, message: str
) -> None:
    """Azure's refusals are said as such, once (not retried), and a cached Get does not hide them."""
    await resolve(azure, TOKEN_A, "tenant-1")
    await get(azure, SUB_A)
    azure.clock.advance(TTL)
    azure.api.fail(rpc, code)
    await refused(activate(azure, SUB_A) if rpc == "activate" else get(azure, SUB_A), status, message)
    assert azure.api.calls[rpc] == (1 if rpc == "activate" else 2)
    assert subscriptions(azure) == [(SUB_A, "basic", "PendingFulfillmentStart", "tenant-1")]


# --- GetAzureSubscription -------------------------------------------------------------------------


async def test_get_is_cached_then_stale_while_azure_fails(azure: Azure) -> None:
    """Fresh for the TTL (no call); after it, while Azure fails, the cached answer comes back marked stale
    with its fetched_at; past the maximum staleness, UNAVAILABLE."""
    await resolve(azure, TOKEN_A, "tenant-1")
    first = await get(azure, SUB_A)
    fetched = azure.clock.now()
    assert (first.stale, first.fetched_at.ToSeconds(), first.subscription.tenant_id) == (
        False,
        int(fetched),
        "tenant-1",
    )
    azure.clock.advance(TTL - 1)
    assert (await get(azure, SUB_A)).fetched_at.ToSeconds() == int(fetched)
    assert azure.api.calls["get"] == 1
    azure.clock.advance(2)
    azure.api.fail("get", "ServiceError", times=10)
    stale = await get(azure, SUB_A)
    assert (stale.stale, stale.fetched_at.ToSeconds(), stale.subscription.status) == (
        True, int(fetched), "PendingFulfillmentStart",
    )  # fmt: skip
    azure.clock.advance(MAX_STALE)
    await refused(get(azure, SUB_A), grpc.StatusCode.UNAVAILABLE, "ServiceError")


async def test_get_without_a_cached_answer_is_unavailable_after_retries(azure: Azure) -> None:
    """Nothing cached: retried within the call (3 attempts), then UNAVAILABLE."""
    azure.api.fail("get", "Throttled", times=3)
    await refused(get(azure, SUB_A), grpc.StatusCode.UNAVAILABLE, "Throttled")
    assert azure.api.calls["get"] == 3


async def test_get_follows_azure_and_updates_the_store(azure: Azure) -> None:
    """After the TTL, Azure's new state (suspended) is answered and stored; a subscription never resolved
    here is answered too, with no tenant; one Azure does not know is NOT_FOUND, even with a cached answer."""
    await resolve(azure, TOKEN_A, "tenant-1")
    await get(azure, SUB_A)
    azure.api.subscriptions[SUB_A] = dataclasses.replace(azure.api.subscriptions[SUB_A], status="Suspended")
    azure.clock.advance(TTL)
    assert (await get(azure, SUB_A)).subscription.status == "Suspended"
    assert subscriptions(azure) == [(SUB_A, "basic", "Suspended", "tenant-1")]
    azure.api.add("elsewhere", SUB_B)
    other = await get(azure, SUB_B)
    assert (other.subscription.subscription_id, other.subscription.tenant_id) == (SUB_B, "")
    assert len(subscriptions(azure)) == 1
    del azure.api.subscriptions[SUB_A]
    azure.clock.advance(TTL)
    await refused(get(azure, SUB_A), grpc.StatusCode.NOT_FOUND, "Azure has no subscription")


async def test_activation_clears_the_cached_state(azure: Azure) -> None:
    """A Get after an activation asks Azure again instead of answering the cached pending state."""
    await resolve(azure, TOKEN_A, "tenant-1")
    assert (await get(azure, SUB_A)).subscription.status == "PendingFulfillmentStart"
    await activate(azure, SUB_A)
    assert (await get(azure, SUB_A)).subscription.status == "Subscribed"
    assert azure.api.calls["get"] == 2


# --- Not configured -------------------------------------------------------------------------------


async def test_without_azure_every_rpc_is_failed_precondition(stub: pb_grpc.MeteringSidecarAsyncStub) -> None:
    """A sidecar started without Azure answers the three RPCs FAILED_PRECONDITION, before reading the input."""
    for call in (
        stub.ResolveAzureSubscription(pb.ResolveAzureSubscriptionRequest(marketplace_token=TOKEN_A)),
        stub.ActivateAzureSubscription(pb.ActivateAzureSubscriptionRequest(subscription_id="bad")),
        stub.GetAzureSubscription(pb.GetAzureSubscriptionRequest(subscription_id=SUB_A)),
    ):
        await refused(call, grpc.StatusCode.FAILED_PRECONDITION, "Azure Marketplace is not configured")

"""The emulator's Azure side over real HTTP (and its Entra ID over real TLS): Microsoft's rules and the faults."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from metering_sidecar.core._clock import ManualClock
from metering_sidecar.emulator import EmulatorServer

from tests.azure_support import (
    CLIENT,
    PLAN,
    SUBSCRIPTION,
    TENANT,
    admin,
    api,
    batch,
    event,
    request_token,
    start_emulator,
    tls_context,
    token,
)
from tests.conftest import HOUR, START
from tests.test_marketplace_adapter import _read_all, wait_until


@pytest.fixture
def emulator(clock: ManualClock) -> Iterator[EmulatorServer]:
    """The emulator with its Azure side and token endpoint, on the test's clock."""
    server = start_emulator(clock)
    yield server
    server.stop()


# --- Entra ID ---------------------------------------------------------------------------------------


def test_token_endpoint_speaks_tls_with_the_generated_ca(emulator: EmulatorServer) -> None:
    """OpenID configuration and tokens come over TLS that verifies only against the emulator's CA."""
    config_url = f"{emulator.azure_authority_host}/{TENANT}/v2.0/.well-known/openid-configuration"
    with urllib.request.urlopen(config_url, timeout=5, context=tls_context(emulator)) as response:
        config = json.load(response)
    assert config["token_endpoint"] == f"{emulator.azure_authority_host}/{TENANT}/oauth2/v2.0/token"
    status, answer = request_token(emulator)
    assert status == 200
    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 3600
    assert answer["access_token"]
    with pytest.raises(urllib.error.URLError) as refused:
        urllib.request.urlopen(config_url, timeout=5, context=ssl.create_default_context())
    assert isinstance(refused.value.reason, ssl.SSLCertVerificationError)


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "another-app"}, 400, "unauthorized_client"),
        ({"scope": "https://management.azure.com/.default"}, 400, "invalid_scope"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"client_assertion_type": "x", "client_assertion": "a.b.c"}, 401, "invalid_client"),
    ],
)
def test_token_endpoint_refuses_bad_requests(
    emulator: EmulatorServer, form: dict[str, str], status: int, error: str
) -> None:
    """A wrong secret, an unknown app, another resource's scope or grant: an OAuth error, no token."""
    if "client_assertion" in form:
        form = {**form, "client_secret": ""}
        emulator.azure.set_clients({CLIENT: ""})  # an app that signs assertions: the type must be jwt-bearer
    got, answer = request_token(emulator, form)
    assert (got, answer["error"]) == (status, error)
    assert emulator.azure.snapshot()["stats"]["tokens_issued"] == 0


def test_calls_need_a_token_the_emulator_issued(emulator: EmulatorServer) -> None:
    """No token, a made-up one, a revoked one, or one past its lifetime: 403, and nothing is recorded."""
    body = {"request": [event()]}
    assert api(emulator, "POST", "/batchUsageEvent", body)[0] == 403
    assert api(emulator, "POST", "/batchUsageEvent", body, bearer="emu-made-up")[0] == 403
    revoked = token(emulator)
    assert admin(emulator, "revoke", {})[0] == 200
    assert api(emulator, "POST", "/batchUsageEvent", body, bearer=revoked)[0] == 403
    assert isinstance(emulator.azure.clock, ManualClock)
    aged = token(emulator)
    emulator.azure.clock.advance(3600)
    status, answer = api(emulator, "POST", "/batchUsageEvent", body, bearer=aged)
    assert (status, answer["code"]) == (403, "Forbidden")
    assert emulator.azure.snapshot()["stats"]["forbidden"] == 4
    assert emulator.azure.billed() == []


def test_forbidden_fault_refuses_even_a_fresh_token(emulator: EmulatorServer) -> None:
    """{"forbidden": true}: the app is not the offer's, so every call answers 403 whatever its token."""
    admin(emulator, "faults", {"forbidden": True})
    assert api(emulator, "POST", "/batchUsageEvent", {"request": [event()]}, bearer=token(emulator))[0] == 403
    admin(emulator, "faults", {"forbidden": False})
    assert batch(emulator, token(emulator), event())[0]["status"] == "Accepted"


# --- batchUsageEvent ------------------------------------------------------------------------------------


def test_api_version_is_required(emulator: EmulatorServer) -> None:
    """Without api-version=2018-08-31 a call answers 400."""
    for version in (None, "2020-01-01"):
        status, answer = api(
            emulator,
            "POST",
            "/batchUsageEvent",
            {"request": [event()]},
            bearer=token(emulator),
            api_version=version,
        )
        assert (status, answer["code"]) == (400, "BadArgument")


def test_a_call_holds_at_most_25_events(emulator: EmulatorServer) -> None:
    """26 events answer 400 and record nothing; 25 distinct events are all accepted."""
    bearer = token(emulator)
    events = [event(dimension=f"d{i}") for i in range(26)]
    status, answer = api(emulator, "POST", "/batchUsageEvent", {"request": events}, bearer=bearer)
    assert status == 400
    assert "26" in answer["message"]
    assert emulator.azure.billed() == []
    results = batch(emulator, bearer, *events[:25])
    assert [r["status"] for r in results] == ["Accepted"] * 25
    assert len({r["usageEventId"] for r in results}) == 25
    assert api(emulator, "POST", "/batchUsageEvent", {"request": []}, bearer=bearer)[0] == 400
    assert api(emulator, "POST", "/batchUsageEvent", b"{not json", bearer=bearer)[0] == 400


def test_one_event_per_resource_dimension_and_hour_and_resends_are_duplicates(
    emulator: EmulatorServer,
) -> None:
    """The first event of an hour is accepted; a resend, even identical, is Duplicate naming the accepted one."""
    bearer = token(emulator)
    first = batch(emulator, bearer, event(quantity=5))[0]
    assert first["status"] == "Accepted"
    assert first["quantity"] == 5.0  # Azure answers quantities as doubles
    same, other_quantity, later_minute = batch(
        emulator, bearer, event(quantity=5), event(quantity=7), event(quantity=5, when=START - 300)
    )
    for duplicate in (same, other_quantity, later_minute):
        assert duplicate["status"] == "Duplicate"
        assert "usageEventId" not in duplicate
        assert duplicate["error"]["code"] == "Conflict"
        accepted = duplicate["error"]["additionalInfo"]["acceptedMessage"]
        assert accepted["usageEventId"] == first["usageEventId"]
        assert (accepted["quantity"], accepted["effectiveStartTime"]) == (5.0, first["effectiveStartTime"])
    assert other_quantity["quantity"] == 7.0  # the echo is what was sent, not what was accepted
    earlier_hour, other_dimension = batch(
        emulator, bearer, event(when=START - HOUR), event(dimension="texts")
    )
    assert (earlier_hour["status"], other_dimension["status"]) == ("Accepted", "Accepted")
    billed = emulator.azure.billed()
    assert [(b["dimension"], b["hour"], b["quantity"]) for b in billed] == [
        ("emails", int(START // HOUR) - 1, 5.0),
        ("emails", int(START // HOUR), 5.0),
        ("texts", int(START // HOUR), 5.0),
    ]
    assert admin(emulator, "billed")[1] == billed
    assert emulator.azure.snapshot()["stats"]["statuses"]["Duplicate"] == 3


def test_events_older_than_24_hours_are_expired(emulator: EmulatorServer) -> None:
    """An event stamped 24 hours ago or earlier is Expired; a second younger is accepted; the future is refused."""
    expired, young, future = batch(
        emulator,
        token(emulator),
        event(when=START - 24 * HOUR),
        event(dimension="texts", when=START - 24 * HOUR + 1),
        event(dimension="calls", when=START + HOUR),
    )
    assert (expired["status"], young["status"], future["status"]) == ("Expired", "Accepted", "BadArgument")
    assert expired["error"]["code"] == "Expired"


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"quantity": 0}, "InvalidQuantity"),
        ({"quantity": -1.5}, "InvalidQuantity"),
        ({"quantity": "5"}, "BadArgument"),
        ({"resourceId": ""}, "BadArgument"),
        ({"effectiveStartTime": "yesterday"}, "BadArgument"),
        ({"resourceId": "no-such-subscription"}, "ResourceNotFound"),
        ({"dimension": "faxes"}, "InvalidDimension"),
        ({"planId": "silver"}, "BadArgument"),
    ],
)
def test_each_event_gets_its_own_status(
    emulator: EmulatorServer, changes: dict[str, Any], status: str
) -> None:
    """A bad event answers its status inside a 200; the good event beside it is still accepted."""
    emulator.azure.set_plans({PLAN: ["emails", "texts"]})
    bad, good = batch(emulator, token(emulator), {**event(), **changes}, event(dimension="texts"))
    assert (bad["status"], good["status"]) == (status, "Accepted")
    assert bad["error"]["code"] == status
    assert "usageEventId" not in bad
    assert [b["dimension"] for b in emulator.azure.billed()] == ["texts"]


def test_subscription_state_and_app_decide_active_and_authorized(emulator: EmulatorServer) -> None:
    """Suspended, pending and unsubscribed resources are not active; another app's resource is not authorized."""
    emulator.azure.set_subscriptions(
        {
            "suspended": {"planId": PLAN, "status": "Suspended"},
            "pending": {"planId": PLAN, "status": "PendingFulfillmentStart"},
            "gone": {"planId": PLAN, "status": "Unsubscribed", "unsubscribedAt": START - 1800},
            "theirs": {"planId": PLAN, "clientId": "another-app"},
        }
    )
    results = batch(
        emulator,
        token(emulator),
        event(resource="suspended"),
        event(resource="pending"),
        event(resource="gone"),
        event(resource="gone", when=START - 2 * HOUR),  # usage from before the cancellation
        event(resource="theirs"),
    )
    assert [r["status"] for r in results] == [
        "ResourceNotActive",
        "ResourceNotActive",
        "ResourceNotActive",
        "Accepted",
        "ResourceNotAuthorized",
    ]


def test_event_error_fault_answers_status_error(emulator: EmulatorServer) -> None:
    """{"event_errors": {resource: message}} answers that resource's events with status Error."""
    admin(emulator, "faults", {"event_errors": {SUBSCRIPTION: "internal failure"}})
    (result,) = batch(emulator, token(emulator), event())
    assert (result["status"], result["error"]["message"]) == ("Error", "internal failure")


# --- faults ---------------------------------------------------------------------------------------------


def test_throttle_and_error_faults(emulator: EmulatorServer) -> None:
    """throttle_next answers 429 with Retry-After, error_next and outage 500; none records anything."""
    bearer = token(emulator)
    body = {"request": [event()]}
    admin(emulator, "faults", {"throttle_next": 1, "error_next": 1})
    assert api(emulator, "POST", "/batchUsageEvent", body, bearer=bearer)[0] == 500
    assert api(emulator, "POST", "/batchUsageEvent", body, bearer=bearer)[0] == 429
    admin(emulator, "faults", {"outage": True})
    assert api(emulator, "POST", "/batchUsageEvent", body, bearer=bearer)[0] == 500
    stats = admin(emulator, "faults", {"outage": False})[1]["stats"]
    assert (stats["throttled"], stats["errors"]) == (1, 2)
    assert emulator.azure.billed() == []
    status, answer = admin(emulator, "faults", {"no_such_fault": 1})
    assert (status, answer["code"]) == (400, "BadArgument")


def test_drop_fault_records_the_event_then_closes_without_an_answer(emulator: EmulatorServer) -> None:
    """drop_next: the event is accepted but the caller gets no answer; its resend meets Duplicate."""
    bearer = token(emulator)
    admin(emulator, "faults", {"drop_next": 1})
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        api(emulator, "POST", "/batchUsageEvent", {"request": [event()]}, bearer=bearer)
    (accepted,) = emulator.azure.billed()
    (resend,) = batch(emulator, bearer, event())
    assert resend["status"] == "Duplicate"
    assert resend["error"]["additionalInfo"]["acceptedMessage"]["usageEventId"] == accepted["usage_event_id"]
    assert emulator.azure.snapshot()["stats"]["dropped"] == 1


def test_hang_fault_holds_the_call_unread_and_closes_it_unanswered(emulator: EmulatorServer) -> None:
    """{"hang": true}: the call gets not a byte and nothing is recorded; clearing it closes the connection."""
    bearer = token(emulator)
    admin(emulator, "faults", {"hang": True})
    body = json.dumps({"request": [event()]}).encode()
    host, port = emulator.url.removeprefix("http://").split(":")
    request = (
        f"POST /api/batchUsageEvent?api-version=2018-08-31 HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {bearer}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        wait_until(lambda: emulator.azure.stats.hung == 1)
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(1)
        received: list[bytes] = []
        reader = threading.Thread(target=lambda: received.append(_read_all(sock)))
        reader.start()
        admin(emulator, "faults", {"hang": False})
        reader.join(10)
    assert received == [b""]
    assert emulator.azure.stats.calls == 0
    assert emulator.azure.billed() == []


# --- SaaS fulfillment -----------------------------------------------------------------------------------


def test_resolve_activate_and_get_a_subscription(emulator: EmulatorServer) -> None:
    """A landing page token resolves (more than once), activation makes the subscription bill, get shows it."""
    new = "7d0c0d2e-0000-4000-8000-00000000bbbb"
    admin(emulator, "tokens", {"landing+token/=": {"id": new, "planId": PLAN, "quantity": 3,
          "status": "PendingFulfillmentStart", "purchaserTenantId": "buyer-tenant", "name": "Contoso"}})  # fmt: skip
    bearer = token(emulator)
    headers = {"x-ms-marketplace-token": "landing+token/="}
    for _ in range(2):  # Microsoft does not document resolve as single-use
        status, resolved = api(
            emulator, "POST", "/saas/subscriptions/resolve", bearer=bearer, headers=headers
        )
        assert status == 200
        assert (resolved["id"], resolved["planId"], resolved["quantity"]) == (new, PLAN, "3")
        assert resolved["subscription"]["saasSubscriptionStatus"] == "PendingFulfillmentStart"
        assert resolved["subscription"]["purchaser"]["tenantId"] == "buyer-tenant"
    assert batch(emulator, bearer, event(resource=new))[0]["status"] == "ResourceNotActive"

    def activate(body: dict[str, Any]) -> tuple[int, Any]:
        return api(emulator, "POST", f"/saas/subscriptions/{new}/activate", body, bearer=bearer)

    assert activate({"planId": "silver"})[0] == 400
    assert activate({"planId": PLAN, "quantity": "4"})[0] == 400
    assert activate({"planId": PLAN, "quantity": "3"}) == (200, None)
    assert activate({"planId": PLAN})[0] == 400  # already Subscribed
    status, got = api(emulator, "GET", f"/saas/subscriptions/{new}", bearer=bearer)
    assert (status, got["saasSubscriptionStatus"], got["quantity"]) == (200, "Subscribed", 3)
    assert batch(emulator, bearer, event(resource=new))[0]["status"] == "Accepted"
    stats = emulator.azure.snapshot()["stats"]
    assert (stats["resolve_calls"], stats["activate_calls"], stats["get_calls"]) == (2, 4, 1)


def test_fulfillment_refusals(emulator: EmulatorServer) -> None:
    """An unknown token answers 400, an unknown subscription 404, another app's subscription 403."""
    bearer = token(emulator)
    emulator.azure.set_subscriptions({"theirs": {"planId": PLAN, "clientId": "another-app"}})
    unknown = api(emulator, "POST", "/saas/subscriptions/resolve", bearer=bearer,
                  headers={"x-ms-marketplace-token": "nope"})  # fmt: skip
    assert unknown[0] == 400
    assert api(emulator, "GET", "/saas/subscriptions/missing", bearer=bearer)[0] == 404
    assert api(emulator, "GET", "/saas/subscriptions/theirs", bearer=bearer)[0] == 403
    assert api(emulator, "GET", "/saas/subscriptions/missing", bearer="emu-made-up")[0] == 403

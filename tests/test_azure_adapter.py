"""The Azure adapter through the real azure-identity credentials against the emulator (HTTP, and TLS for Entra ID)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from metering_sidecar.core._clock import ManualClock
from metering_sidecar.core._errors import ConfigError, RemoteError
from metering_sidecar.emulator import EmulatorServer
from metering_sidecar.marketplace import AZURE_UNREACHABLE_CODES, AzureIdentity, AzureMarketplace
from metering_sidecar.targets import AzureApi

from tests.azure_support import CLIENT, PLAN, SECRET, SUBSCRIPTION, TENANT, event, start_emulator
from tests.conftest import HOUR, START
from tests.test_marketplace_adapter import wait_until

Outcomes = list[tuple[str, str]]


@pytest.fixture
def emulator(clock: ManualClock) -> Iterator[EmulatorServer]:
    """The emulator with its Azure side and token endpoint, on the test's clock."""
    server = start_emulator(clock)
    yield server
    server.stop()


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    """The app's client secret in a file, as a mounted Kubernetes Secret holds it."""
    path = tmp_path / "client-secret"
    path.write_text(SECRET + "\n")
    return path


def identity(emulator: EmulatorServer, secret_file: Path, **overrides: Any) -> AzureIdentity:
    """Return the test app's identity, trusting the emulator's Entra ID."""
    settings: dict[str, Any] = {
        "tenant_id": TENANT,
        "client_id": CLIENT,
        "client_secret_file": str(secret_file),
        "authority_host": emulator.azure_authority_host,
        "ca_bundle": emulator.azure_ca_path,
        "environ": {},
    }
    settings.update(overrides)
    return AzureIdentity.resolve(**settings)


def adapter(
    emulator: EmulatorServer, who: AzureIdentity, outcomes: Outcomes | None = None, **options: Any
) -> AzureMarketplace:
    """Return the real adapter pointed at the emulator."""
    record = outcomes.append if outcomes is not None else None
    return AzureMarketplace(
        who,
        metering_endpoint_url=emulator.azure_api_url,
        fulfillment_endpoint_url=emulator.azure_api_url,
        timeout_seconds=options.pop("timeout_seconds", 5.0),
        call_deadline_seconds=options.pop("call_deadline_seconds", 10.0),
        observe=(lambda op, outcome, _s: record((op, outcome))) if record else lambda *_: None,
        **options,
    )


@pytest.fixture
async def azure(emulator: EmulatorServer, secret_file: Path) -> AsyncIterator[AzureMarketplace]:
    """The adapter with a client secret; closed after the test."""
    marketplace = adapter(emulator, identity(emulator, secret_file))
    conforms: AzureApi = marketplace  # mypy checks the adapter against the target's Protocol
    yield marketplace
    await conforms.close()


def stats(emulator: EmulatorServer) -> dict[str, Any]:
    """Return the emulator's Azure counters."""
    snapshot: dict[str, Any] = emulator.azure.snapshot()["stats"]
    return snapshot


# --- usage events ---------------------------------------------------------------------------------------


async def test_every_status_is_read_with_its_echo_and_error(
    emulator: EmulatorServer, azure: AzureMarketplace
) -> None:
    """Each event's status comes back with Azure's echo, error code and message; Accepted keeps its id."""
    emulator.azure.set_plans({PLAN: ["emails", "texts"]})
    emulator.azure.set_subscriptions({"paused": {"planId": PLAN, "status": "Suspended"},
                                      "theirs": {"planId": PLAN, "clientId": "another-app"}})  # fmt: skip
    emulator.azure.update_faults({"event_errors": {"failing": "internal failure"}})
    results = await azure.batch_usage_event(
        [
            event(quantity=Decimal("2.5")),
            event(dimension="texts", when=START - 24 * HOUR),
            event(resource="nope"),
            event(resource="theirs"),
            event(resource="paused"),
            event(dimension="faxes"),
            event(dimension="texts", quantity=0),
            {**event(dimension="texts"), "resourceId": ""},
            event(resource="failing"),
        ]
    )
    assert [r.status for r in results] == [
        "Accepted", "Expired", "ResourceNotFound", "ResourceNotAuthorized", "ResourceNotActive",
        "InvalidDimension", "InvalidQuantity", "BadArgument", "Error",
    ]  # fmt: skip
    accepted = results[0]
    assert accepted.usage_event_id == emulator.azure.billed()[0]["usage_event_id"]
    assert (accepted.resource_id, accepted.plan_id, accepted.dimension) == (SUBSCRIPTION, PLAN, "emails")
    assert (accepted.quantity, accepted.effective_start_time) == ("2.5", event()["effectiveStartTime"])
    assert (accepted.error_code, accepted.accepted_message) == ("", None)
    for refused in results[1:]:
        assert refused.usage_event_id == ""
        assert refused.error_code == refused.status
        assert refused.error_message
    assert results[8].error_message == "internal failure"
    assert results[2].resource_id == "nope"


async def test_a_resend_is_duplicate_carrying_the_accepted_event(
    emulator: EmulatorServer, azure: AzureMarketplace
) -> None:
    """Azure has no idempotent success: the identical resend is Duplicate, with the accepted event in full."""
    (first,) = await azure.batch_usage_event([event(quantity="12.000001")])
    (again,) = await azure.batch_usage_event([event(quantity="12.000001")])
    assert again.status == "Duplicate"
    assert again.error_code == "Conflict"
    assert again.usage_event_id == ""
    accepted = again.accepted_message
    assert accepted is not None
    assert accepted["usageEventId"] == first.usage_event_id
    assert (accepted["resourceId"], accepted["planId"], accepted["dimension"]) == (
        SUBSCRIPTION,
        PLAN,
        "emails",
    )
    assert accepted["effectiveStartTime"] == first.effective_start_time
    assert accepted["quantity"] == Decimal("12.000001")  # numbers are read as exact decimals


async def test_quantities_travel_as_exact_decimals(emulator: EmulatorServer, azure: AzureMarketplace) -> None:
    """Decimals, decimal strings and ints are sent as written; a float or a non-number is refused unsent."""
    results = await azure.batch_usage_event(
        [
            event(quantity=Decimal("0.000001")),
            event(dimension="texts", quantity="123456789.123456"),
            event(dimension="calls", quantity=7),
        ]
    )
    assert [r.quantity for r in results] == ["0.000001", "123456789.123456", "7.0"]
    billed = {b["dimension"]: b["quantity"] for b in emulator.azure.billed()}
    assert billed == {"emails": 1e-06, "texts": 123456789.123456, "calls": 7.0}
    for bad in (0.1, "ten", Decimal("NaN"), True, None):
        with pytest.raises(ValueError, match="quantity"):
            await azure.batch_usage_event([event(quantity=bad)])
    with pytest.raises(ValueError, match="resourceId"):
        await azure.batch_usage_event([{"quantity": 1}])
    with pytest.raises(ValueError, match="1 to 25"):
        await azure.batch_usage_event([event(dimension=f"d{i}") for i in range(26)])
    with pytest.raises(ValueError, match="1 to 25"):
        await azure.batch_usage_event([])
    assert stats(emulator)["calls"] == 1


# --- tokens ---------------------------------------------------------------------------------------------


async def test_the_token_is_cached_across_calls(emulator: EmulatorServer, azure: AzureMarketplace) -> None:
    """Many calls, one token: the credential is asked once and Entra ID issues one token."""
    for hour in range(5):
        (result,) = await azure.batch_usage_event([event(when=START - hour * HOUR)])
        assert result.status == "Accepted"
    await azure.get_subscription(SUBSCRIPTION)
    assert (stats(emulator)["token_requests"], azure.tokens.fetches) == (1, 1)


async def test_a_403_refreshes_the_token_once_and_repeats_the_call(
    emulator: EmulatorServer, azure: AzureMarketplace
) -> None:
    """A revoked token answers 403; the adapter takes a new token and the identical call then succeeds."""
    await azure.get_subscription(SUBSCRIPTION)
    emulator.azure.revoke_tokens()
    (result,) = await azure.batch_usage_event([event()])
    assert result.status == "Accepted"
    assert (stats(emulator)["forbidden"], stats(emulator)["token_requests"]) == (1, 2)
    assert len(emulator.azure.billed()) == 1


async def test_403_after_the_refresh_is_forbidden_and_not_retryable(
    emulator: EmulatorServer, azure: AzureMarketplace
) -> None:
    """An app Azure refuses even with a new token: RemoteError Forbidden, after exactly two attempts."""
    emulator.azure.update_faults({"forbidden": True})
    with pytest.raises(RemoteError) as refused:
        await azure.batch_usage_event([event()])
    assert (refused.value.code, refused.value.retryable) == ("Forbidden", False)
    assert (stats(emulator)["forbidden"], stats(emulator)["token_requests"]) == (2, 2)
    assert emulator.azure.billed() == []


async def test_a_refused_credential_fails_the_call_unsent_and_a_fixed_secret_is_read_again(
    emulator: EmulatorServer, secret_file: Path
) -> None:
    """A wrong secret: AuthenticationFailed (retryable, nothing sent); the corrected file works next call."""
    await asyncio.to_thread(secret_file.write_text, "not-the-secret\n")
    azure = adapter(emulator, identity(emulator, secret_file))
    with pytest.raises(RemoteError) as refused:
        await azure.batch_usage_event([event()])
    assert (refused.value.code, refused.value.retryable) == ("AuthenticationFailed", True)
    assert refused.value.code in AZURE_UNREACHABLE_CODES
    assert stats(emulator)["calls"] == 0
    await asyncio.to_thread(secret_file.write_text, SECRET)
    assert (await azure.batch_usage_event([event()]))[0].status == "Accepted"
    await azure.close()


async def test_an_unreachable_entra_id_is_a_connection_error(
    emulator: EmulatorServer, secret_file: Path
) -> None:
    """Nothing listening at the authority host: ConnectionError, retryable, the call never sent."""
    azure = adapter(
        emulator, identity(emulator, secret_file, authority_host=f"https://127.0.0.1:{free_port()}")
    )
    await refused_unsent(azure)
    assert stats(emulator)["calls"] == 0
    await azure.close()


async def test_workload_identity_from_azure_identitys_variables(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    """AKS workload identity: tenant, client and federated token file from AZURE_*; the assertion gets a token."""
    emulator.azure.set_clients({CLIENT: ""})  # an app with a federated credential: no secret
    token_file = tmp_path / "azure-identity-token"
    token_file.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl")
    who = AzureIdentity.resolve(
        authority_host=emulator.azure_authority_host,
        ca_bundle=emulator.azure_ca_path,
        environ={
            "AZURE_TENANT_ID": TENANT,
            "AZURE_CLIENT_ID": CLIENT,
            "AZURE_FEDERATED_TOKEN_FILE": str(token_file),
        },
    )
    assert (who.kind, who.tenant_id, who.client_id) == ("workload identity", TENANT, CLIENT)
    azure = adapter(emulator, who)
    assert (await azure.batch_usage_event([event()]))[0].status == "Accepted"
    await azure.close()


async def test_certificate_credential_signs_its_assertion(emulator: EmulatorServer, tmp_path: Path) -> None:
    """A certificate (PEM with its private key): MSAL signs a client assertion and Entra ID issues a token."""
    emulator.azure.set_clients({CLIENT: ""})
    who = AzureIdentity.resolve(
        tenant_id=TENANT,
        client_id=CLIENT,
        certificate_path=str(write_certificate(tmp_path / "app.pem")),
        authority_host=emulator.azure_authority_host,
        ca_bundle=emulator.azure_ca_path,
        environ={},
    )
    assert who.kind == "certificate"
    azure = adapter(emulator, who)
    assert (await azure.get_subscription(SUBSCRIPTION)).status == "Subscribed"
    await azure.close()


def test_identity_settings_are_checked_at_start(tmp_path: Path, secret_file: Path) -> None:
    """Missing ids, no way to sign in, unreadable files and a plain-http authority are ConfigErrors."""
    base: dict[str, Any] = {"tenant_id": TENANT, "client_id": CLIENT, "client_secret_file": str(secret_file)}
    empty = tmp_path / "empty"
    empty.write_text("\n")
    cases: list[tuple[dict[str, Any], str]] = [
        ({**base, "tenant_id": ""}, "tenant id"),
        ({**base, "client_id": ""}, "client id"),
        ({**base, "client_secret_file": ""}, "no way to sign in"),
        ({**base, "client_secret_file": str(tmp_path / "missing")}, "not a readable file"),
        ({**base, "client_secret_file": str(empty)}, "is empty"),
        ({**base, "authority_host": "http://127.0.0.1:1"}, "https"),
        ({**base, "ca_bundle": str(tmp_path / "missing.pem")}, "CA bundle"),
    ]
    for settings, message in cases:
        with pytest.raises(ConfigError, match=message):
            AzureIdentity.resolve(environ={}, **settings)
    assert AzureIdentity.resolve(environ={}, **base).authority_host == "https://login.microsoftonline.com"


# --- whole-call failures --------------------------------------------------------------------------------


async def test_throttling_and_service_errors_are_retryable(
    emulator: EmulatorServer, azure: AzureMarketplace
) -> None:
    """429 is Throttled and 500 ServiceError, both retryable; the identical call then goes through."""
    emulator.azure.update_faults({"throttle_next": 1, "error_next": 1})
    codes = []
    for _ in range(2):
        with pytest.raises(RemoteError) as failed:
            await azure.batch_usage_event([event()])
        assert failed.value.retryable
        codes.append(failed.value.code)
    assert codes == ["ServiceError", "Throttled"]
    assert (await azure.batch_usage_event([event()]))[0].status == "Accepted"


async def test_a_dropped_answer_is_a_connection_error_and_the_resend_meets_duplicate(
    emulator: EmulatorServer, azure: AzureMarketplace
) -> None:
    """Azure accepted the events but the answer was lost: ConnectionError with an unknown outcome, then Duplicate."""
    emulator.azure.update_faults({"drop_next": 1})
    with pytest.raises(RemoteError) as dropped:
        await azure.batch_usage_event([event(quantity="3")])
    assert (dropped.value.code, dropped.value.retryable, dropped.value.outcome_unknown) == (
        "ConnectionError", True, True,
    )  # fmt: skip
    (billed,) = emulator.azure.billed()
    (resend,) = await azure.batch_usage_event([event(quantity="3")])
    assert resend.status == "Duplicate"
    assert resend.accepted_message is not None
    assert resend.accepted_message["usageEventId"] == billed["usage_event_id"]


async def test_a_hung_azure_times_out_and_bounds_calls_in_flight(
    emulator: EmulatorServer, secret_file: Path
) -> None:
    """A held call holds the only slot: a second call fails fast; the held one ends at the deadline as Timeout."""
    outcomes: Outcomes = []
    azure = adapter(
        emulator, identity(emulator, secret_file), outcomes, call_deadline_seconds=5.0, max_calls_in_flight=1
    )
    await azure.get_subscription(SUBSCRIPTION)  # the token first: the hang is Azure's, not Entra ID's
    emulator.azure.update_faults({"hang": True})
    held = asyncio.create_task(azure.batch_usage_event([event()]))
    for _ in range(200):  # until Azure holds it (a loaded machine may take a while to send it)
        if emulator.azure.stats.hung == 1 or held.done():
            break
        await asyncio.sleep(0.01)
    assert emulator.azure.stats.hung == 1, "the first call reached Azure and is held there"
    assert azure.calls_in_flight == 1
    with pytest.raises(RemoteError) as busy:
        await azure.batch_usage_event([event()])
    assert (busy.value.code, busy.value.outcome_unknown) == ("TooManyCallsInFlight", False)
    with pytest.raises(RemoteError) as hung:
        await held
    assert (hung.value.code, hung.value.retryable, hung.value.outcome_unknown) == ("Timeout", True, True)
    assert hung.value.code in AZURE_UNREACHABLE_CODES
    emulator.azure.update_faults({"hang": False})
    wait_until(lambda: azure.calls_in_flight == 0)
    assert emulator.azure.billed() == []
    assert outcomes == [("GetSubscription", "ok"), ("batchUsageEvent", "TooManyCallsInFlight"),
                        ("batchUsageEvent", "Timeout")]  # fmt: skip
    await azure.close()


async def test_a_read_timeout_is_a_timeout(emulator: EmulatorServer, secret_file: Path) -> None:
    """The socket's read timeout (shorter than the deadline) is also Timeout, with an unknown outcome."""
    azure = adapter(emulator, identity(emulator, secret_file), timeout_seconds=0.3)
    await azure.get_subscription(SUBSCRIPTION)
    emulator.azure.update_faults({"hang": True})
    with pytest.raises(RemoteError) as slow:
        await azure.batch_usage_event([event()])
    assert (slow.value.code, slow.value.outcome_unknown) == ("Timeout", True)
    emulator.azure.update_faults({"hang": False})
    await azure.close()


async def test_nothing_listening_is_a_connection_error_never_sent(
    emulator: EmulatorServer, secret_file: Path
) -> None:
    """A metering endpoint with nothing listening: ConnectionError, retryable, known not to have landed."""
    azure = AzureMarketplace(
        identity(emulator, secret_file), metering_endpoint_url=f"http://127.0.0.1:{free_port()}/api"
    )
    await refused_unsent(azure)
    await azure.close()


# --- SaaS fulfillment -----------------------------------------------------------------------------------


async def test_resolve_activate_and_get(emulator: EmulatorServer, azure: AzureMarketplace) -> None:
    """The landing page's token resolves to its subscription; activation makes it Subscribed; get reads it."""
    new = "7d0c0d2e-0000-4000-8000-00000000cccc"
    emulator.azure.add_marketplace_tokens({"ab+cd/ef==": {"id": new, "planId": PLAN, "offerId": "contoso",
        "quantity": 4, "status": "PendingFulfillmentStart", "purchaserTenantId": "buyer", "name": "Contoso"}})  # fmt: skip
    resolved = await azure.resolve_subscription("ab+cd/ef==")
    assert (resolved.subscription_id, resolved.offer_id, resolved.plan_id, resolved.quantity) == (
        new,
        "contoso",
        PLAN,
        4,
    )
    assert (resolved.status, resolved.purchaser_tenant_id, resolved.name) == (
        "PendingFulfillmentStart",
        "buyer",
        "Contoso",
    )
    assert resolved.raw["subscription"]["id"] == new
    assert (await azure.resolve_subscription("ab+cd/ef==")).subscription_id == new  # not single-use
    await azure.activate_subscription(new, PLAN, 4)
    got = await azure.get_subscription(new)
    assert (got.subscription_id, got.status, got.quantity, got.beneficiary_tenant_id) == (
        new,
        "Subscribed",
        4,
        "buyer",
    )
    with pytest.raises(RemoteError) as again:
        await azure.activate_subscription(new, PLAN, 4)
    assert (again.value.code, again.value.retryable) == ("BadRequest", False)
    assert "already Subscribed" in again.value.message


async def test_fulfillment_refusals_map_to_codes(emulator: EmulatorServer, azure: AzureMarketplace) -> None:
    """An unknown token is BadRequest with Azure's message; an unknown subscription NotFound; neither retryable."""
    with pytest.raises(RemoteError) as bad:
        await azure.resolve_subscription("expired-token-value")
    assert (bad.value.code, bad.value.retryable) == ("BadRequest", False)
    assert "x-ms-marketplace-token" in bad.value.message
    assert "expired-token-value" not in str(bad.value)
    with pytest.raises(RemoteError) as missing:
        await azure.get_subscription("no-such-subscription")
    assert (missing.value.code, missing.value.retryable) == ("NotFound", False)
    with pytest.raises(RemoteError) as wrong_plan:
        await azure.activate_subscription(SUBSCRIPTION, "silver", 0)
    assert wrong_plan.value.code == "BadRequest"
    with pytest.raises(ValueError, match="empty"):
        await azure.get_subscription("")


async def test_no_token_secret_or_marketplace_token_reaches_a_log(
    emulator: EmulatorServer, azure: AzureMarketplace, caplog: pytest.LogCaptureFixture
) -> None:
    """Every log line of a run with tokens, a refresh, a 403 and failures, at DEBUG, holds none of the secrets."""
    caplog.set_level(logging.DEBUG)
    emulator.azure.add_marketplace_tokens({"landing-token-secret": SUBSCRIPTION})
    errors: list[str] = []
    await azure.resolve_subscription("landing-token-secret")
    emulator.azure.revoke_tokens()
    await azure.batch_usage_event([event()])
    emulator.azure.update_faults({"forbidden": True})
    for call in (azure.batch_usage_event([event()]), azure.resolve_subscription("landing-token-secret")):
        with pytest.raises(RemoteError) as failed:
            await call
        errors.append(str(failed.value))
    issued = emulator.azure.issued_tokens()
    assert len(issued) == 4
    assert caplog.records  # azure-identity and urllib3 did log
    text = caplog.text + "\n".join(errors) + "\n".join(str(r.__dict__) for r in caplog.records)
    for secret in (*issued, SECRET, "landing-token-secret"):
        assert secret not in text


async def refused_unsent(azure: AzureMarketplace) -> None:
    """Check that a usage call fails as a retryable ConnectionError known never to have reached Azure."""
    with pytest.raises(RemoteError) as failed:
        await azure.batch_usage_event([event()])
    error = failed.value
    assert (error.code, error.retryable, error.outcome_unknown) == ("ConnectionError", True, False)


def free_port() -> int:
    """Return a loopback port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def write_certificate(path: Path) -> Path:
    """Write a self-signed RSA certificate and its private key to one PEM file (what an Entra app holds)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "metering-sidecar test app")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        + certificate.public_bytes(serialization.Encoding.PEM)
    )
    return path


async def test_the_ca_file_adds_to_the_system_trust_for_marketplace_calls(
    clock: ManualClock,
    emulator: EmulatorServer,
    secret_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--azure-ca-file (here the emulator's generated CA) is trusted for the marketplace endpoints on top of
    the system's store, never instead of it: a proxy's bundle meant for Entra ID cannot make every
    batchUsageEvent fail its TLS handshake. A second emulator's CA plays the system store (OpenSSL's
    SSL_CERT_FILE); each emulator's TLS port answers the call with 404 once the handshake succeeds."""
    system = start_emulator(clock)
    monkeypatch.setenv("SSL_CERT_FILE", system.azure_ca_path)
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))  # nothing else in the "system" store
    try:
        who = identity(emulator, secret_file)  # the bundle: the first emulator's CA
        for trusted_by in (emulator, system):  # the bundle, then the system store
            marketplace = AzureMarketplace(
                who, fulfillment_endpoint_url=f"{trusted_by.azure_authority_host}/api", timeout_seconds=5.0
            )
            try:
                with pytest.raises(RemoteError) as answered:
                    await marketplace.get_subscription(SUBSCRIPTION)
            finally:
                await marketplace.close()
            assert answered.value.code == "NotFound", answered.value.message  # not a ConnectionError (TLS)
    finally:
        system.stop()


def test_the_azure_constants_have_one_definition() -> None:
    """The adapter's default endpoints are the settings' (whose --help shows them), and the codes it raises for
    a call without an answer are the very set the Azure target stops a pass on: one definition of each."""
    from metering_sidecar import config, marketplace, targets

    assert marketplace.AZURE_UNREACHABLE_CODES is targets.AZURE_UNREACHABLE_CODES
    assert marketplace.AZURE_DEFAULT_API_URL is config.AZURE_MARKETPLACE_API
    assert marketplace.AZURE_DEFAULT_AUTHORITY_HOST is config.AZURE_AUTHORITY_HOST

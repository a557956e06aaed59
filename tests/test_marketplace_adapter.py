"""The boto3 adapter and the emulator's transport faults, through real boto3 over HTTP."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.session
import pytest
from botocore.credentials import ContainerProvider, CredentialResolver, EnvProvider
from botocore.utils import ContainerMetadataFetcher
from metering_sidecar import config as config_module
from metering_sidecar.core._errors import ConfigError, RemoteError
from metering_sidecar.emulator import EmulatorServer
from metering_sidecar.marketplace import UNREACHABLE_CODES, BotoMarketplace

from tests.conftest import ACCOUNT, PRODUCT, START, fake_session
from tests.credentials_endpoint import ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, CredentialsEndpoint

RECORD = {"CustomerAWSAccountId": ACCOUNT, "Dimension": "requests", "Quantity": 1}


def raw_client(service: str, url: str, read_timeout: float = 0.5) -> Any:
    """Return a plain boto3 client without retries: what the emulator does, seen by the SDK itself."""
    config = botocore.config.Config(
        retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=read_timeout, connect_timeout=2
    )
    # boto3-stubs type client() per literal service name; this helper takes any service, so the session is Any.
    session: Any = fake_session()
    return session.client(service, endpoint_url=url, region_name="us-east-1", config=config)


def post_faults(url: str, **values: Any) -> dict[str, Any]:
    """Change faults over the emulator's admin API, as a test in another process would."""
    request = urllib.request.Request(
        url + "/_emulator/faults", data=json.dumps(values).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        answer: dict[str, Any] = json.load(response)
        return answer


def wait_until(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Poll ``condition`` until it holds (a bound against hanging, not a timing assertion)."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.02)


def test_hang_fault_holds_every_call_unanswered(emulator: EmulatorServer) -> None:
    """{"hang": true}: metering, resolve and entitlement calls time out in boto3 and nothing is billed."""
    emulator.state.add_tokens({"tok-h": {"CustomerAWSAccountId": ACCOUNT, "ProductCode": PRODUCT}})
    assert post_faults(emulator.url, hang=True)["faults"]["hang"] is True
    metering = raw_client("meteringmarketplace", emulator.url)
    entitlement = raw_client("marketplace-entitlement", emulator.url)
    calls: list[Callable[[], Any]] = [
        lambda: metering.batch_meter_usage(
            ProductCode=PRODUCT, UsageRecords=[{**RECORD, "Timestamp": START}]
        ),
        lambda: metering.resolve_customer(RegistrationToken="tok-h"),
        lambda: entitlement.get_entitlements(ProductCode=PRODUCT),
    ]
    for call in calls:
        with pytest.raises(botocore.exceptions.ReadTimeoutError):
            call()
    stats = emulator.state.stats
    assert stats.hung == 3
    assert stats.hung_open_peak == 1  # each caller hung up before the next call: never two waiting
    # Held calls are never read nor acted on: nothing billed, no token resolved, no operation counted.
    assert (stats.calls, stats.resolve_calls, stats.entitlement_calls) == (0, 0, 0)
    assert emulator.state.billed() == []
    post_faults(emulator.url, hang=False)
    # Healed: the same token still resolves, which it would not had the held call been acted on.
    assert metering.resolve_customer(RegistrationToken="tok-h")["CustomerAWSAccountId"] == ACCOUNT


def test_clearing_hang_closes_held_connections_without_an_answer(emulator: EmulatorServer) -> None:
    """A call held by the hang fault gets no bytes at all; clearing the fault closes its connection."""
    emulator.state.update_faults({"hang": True})
    host, port = emulator.url.removeprefix("http://").split(":")
    body = json.dumps({"ProductCode": PRODUCT, "UsageRecords": [{**RECORD, "Timestamp": START}]}).encode()
    request = (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
        b"X-Amz-Target: AWSMPMeteringService.BatchMeterUsage\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        wait_until(lambda: emulator.state.stats.hung == 1)
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(1)  # held: not a byte of an answer
        received: list[bytes] = []
        reader = threading.Thread(target=lambda: received.append(_read_all(sock)))
        reader.start()
        emulator.state.update_faults({"hang": False})
        reader.join(10)
        assert received == [b""]  # closed, never answered
    assert emulator.state.stats.calls == 0
    assert emulator.state.billed() == []


def _read_all(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


def test_stopping_the_emulator_releases_held_calls(emulator: EmulatorServer) -> None:
    """A server stopped while calls are held ends them unanswered instead of leaving threads behind."""
    emulator.state.update_faults({"hang": True})
    client = raw_client("meteringmarketplace", emulator.url, read_timeout=10)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.resolve_customer(RegistrationToken="tok-x")
        except BaseException as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    wait_until(lambda: emulator.state.stats.hung == 1)
    emulator.stop()
    caller.join(10)
    assert not caller.is_alive()
    assert len(errors) == 1
    assert isinstance(errors[0], botocore.exceptions.BotoCoreError)


def test_emulator_command_can_start_hung() -> None:
    """`metering-sidecar emulator --hang` starts with every AWS call held; the admin API still answers."""
    from tests.procs import Emulator

    process = Emulator("--hang")
    try:
        assert process.get("/_emulator/stats")["faults"]["hang"] is True
        with pytest.raises(botocore.exceptions.ReadTimeoutError):
            raw_client("meteringmarketplace", process.url).resolve_customer(RegistrationToken="t")
        process.faults(hang=False)
        assert process.get("/_emulator/stats")["stats"]["hung"] == 1
    finally:
        process.stop()


# --- The adapter's error mapping: each botocore error that can be triggered for real ---------------


def session_with(*providers: Any) -> boto3.Session:
    """Return a boto3 session whose credential chain is exactly ``providers`` (none: no credentials)."""
    core = botocore.session.Session()
    core.register_component("credential_provider", CredentialResolver(list(providers)))
    return boto3.Session(botocore_session=core, region_name="us-east-1")


def container_provider(url: str) -> ContainerProvider:
    """The SDK's container provider (EKS Pod Identity, ECS), without its 1 s sleeps between tries."""
    # botocore-stubs declare fetcher as an AssumeRoleCredentialFetcher; botocore itself passes this class.
    fetcher: Any = ContainerMetadataFetcher(sleep=lambda seconds: None)
    return ContainerProvider(environ={"AWS_CONTAINER_CREDENTIALS_FULL_URI": url}, fetcher=fetcher)


def adapter(url: str, session: boto3.Session | None = None, **kwargs: Any) -> BotoMarketplace:
    """Return the real adapter pointed at ``url``."""
    settings: dict[str, Any] = {"max_attempts": 1, "timeout_seconds": 5.0}
    settings.update(kwargs)
    return BotoMarketplace(
        endpoint_url=url, entitlement_endpoint_url=url, session=session or fake_session(), **settings
    )


async def meter(marketplace: BotoMarketplace, **record: Any) -> Any:
    """Send one record for START."""
    return await marketplace.batch_meter_usage(
        product_code=PRODUCT, records=[{**RECORD, "Timestamp": START, **record}]
    )


async def warm(marketplace: BotoMarketplace) -> None:
    """Make the adapter's clients (a real call each), so a short deadline is not spent making them.

    On a loaded machine making a client can take longer than the short deadlines these tests use; the
    client is made all the same, so the warm-up tries again until a call answers within it.
    """
    slow = {"CallDeadlineExceeded", "TooManyCallsInFlight"}
    for _ in range(50):
        await asyncio.to_thread(wait_until, lambda: marketplace.calls_in_flight == 0)
        try:
            await meter(marketplace, Dimension="warm-up")
            break
        except RemoteError as exc:
            if exc.code not in slow:
                raise
    for _ in range(50):
        await asyncio.to_thread(wait_until, lambda: marketplace.calls_in_flight == 0)
        with pytest.raises(RemoteError) as info:
            await marketplace.resolve_customer(registration_token="warm-up")  # InvalidTokenException
        if info.value.code not in slow:
            break
    await asyncio.to_thread(wait_until, lambda: marketplace.calls_in_flight == 0)


async def failure(call: Awaitable[Any]) -> RemoteError:
    """Await ``call`` and return the RemoteError it raised (anything else fails the test)."""
    with pytest.raises(RemoteError) as info:
        await call
    return info.value


def assert_clean(error: RemoteError) -> None:
    """Nothing secret in the error: not the credentials, not the registration token."""
    text = str(error)
    for secret in (SECRET_ACCESS_KEY, SESSION_TOKEN, ACCESS_KEY_ID, "tok-secret"):
        assert secret not in text


async def test_no_credentials_is_retryable_and_nothing_is_sent(emulator: EmulatorServer) -> None:
    """NoCredentialsError: a retryable RemoteError; AWS surely saw nothing (safe to resend anything)."""
    marketplace = adapter(emulator.url, session_with())
    error = await failure(meter(marketplace))
    assert (error.code, error.retryable, error.outcome_unknown) == ("NoCredentialsError", True, False)
    assert "could not get credentials" in error.message
    assert emulator.state.stats.calls == 0


async def test_partial_credentials_names_what_is_missing(emulator: EmulatorServer) -> None:
    """PartialCredentialsError: says which variable is missing, never the key id it found."""
    provider = EnvProvider(environ={"AWS_ACCESS_KEY_ID": ACCESS_KEY_ID})
    error = await failure(meter(adapter(emulator.url, session_with(provider))))
    assert (error.code, error.retryable, error.outcome_unknown) == ("PartialCredentialsError", True, False)
    assert "missing" in error.message
    assert_clean(error)


async def test_container_credential_outage_then_recovery(emulator: EmulatorServer) -> None:
    """CredentialRetrievalError while the credential endpoint answers 500 (even at client creation),
    with nothing of its answer in the message; billing works once it recovers."""
    emulator.state.add_tokens({"tok-secret": {"CustomerAWSAccountId": ACCOUNT, "ProductCode": PRODUCT}})
    with CredentialsEndpoint(failing=True) as endpoint:
        marketplace = adapter(emulator.url, session_with(container_provider(endpoint.url)))
        for call in (meter(marketplace), marketplace.resolve_customer(registration_token="tok-secret")):
            error = await failure(call)
            assert (error.code, error.retryable, error.outcome_unknown) == (
                "CredentialRetrievalError", True, False,
            )  # fmt: skip
            assert "container-role" in error.message
            assert "HTTP 500" in error.message
            assert_clean(error)
        assert endpoint.failed >= 2
        assert (emulator.state.stats.calls, emulator.state.stats.resolve_calls) == (0, 0)
        endpoint.set(failing=False)
        answer = await meter(marketplace)
        assert [r.status for r in answer.results] == ["Success"]


async def test_credentials_that_cannot_be_refreshed(emulator: EmulatorServer) -> None:
    """Credentials about to expire whose refresh fails: CredentialRetrievalError, then billing resumes."""
    with CredentialsEndpoint(expires_in=300) as endpoint:  # inside the SDK's mandatory refresh window
        marketplace = adapter(emulator.url, session_with(container_provider(endpoint.url)))
        assert [r.status for r in (await meter(marketplace, Dimension="a")).results] == ["Success"]
        endpoint.set(failing=True)
        error = await failure(meter(marketplace, Dimension="b"))
        assert (error.code, error.retryable) == ("CredentialRetrievalError", True)
        assert_clean(error)
        endpoint.set(failing=False)
        assert [r.status for r in (await meter(marketplace, Dimension="b")).results] == ["Success"]


async def test_connection_refused_was_never_sent() -> None:
    """EndpointConnectionError: retryable, and AWS surely did not see the call."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"  # bound, not listening: refused
        error = await failure(meter(adapter(url)))
    assert (error.code, error.retryable, error.outcome_unknown) == ("EndpointConnectionError", True, False)


async def test_connect_timeout_was_never_sent() -> None:
    """ConnectTimeoutError (a listener whose accept queue is full drops the SYN): never sent."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        address = listener.getsockname()
        fillers = []
        for _ in range(8):  # fill the accept queue; connections beyond it are never established
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(address)
            fillers.append(filler)
        try:
            marketplace = adapter(f"http://127.0.0.1:{address[1]}", timeout_seconds=0.3)
            error = await failure(meter(marketplace))
        finally:
            for filler in fillers:
                filler.close()
    assert (error.code, error.retryable, error.outcome_unknown) == ("ConnectTimeoutError", True, False)


async def test_read_timeout_outcome_is_unknown(emulator: EmulatorServer) -> None:
    """ReadTimeoutError (a hung AWS): retryable for idempotent calls, but AWS may have acted on it."""
    emulator.state.update_faults({"hang": True})
    error = await failure(meter(adapter(emulator.url, timeout_seconds=0.3)))
    assert (error.code, error.retryable, error.outcome_unknown) == ("ReadTimeoutError", True, True)


async def test_dropped_answer_outcome_is_unknown(emulator: EmulatorServer) -> None:
    """ConnectionClosedError after sending (AWS billed, the answer was lost): outcome unknown."""
    emulator.state.update_faults({"drop_rate": 1.0})
    error = await failure(meter(adapter(emulator.url)))
    assert (error.code, error.retryable, error.outcome_unknown) == ("ConnectionClosedError", True, True)
    assert len(emulator.state.billed()) == 1


async def test_tls_error_is_retryable(emulator: EmulatorServer) -> None:
    """SSLError (TLS to a plain HTTP endpoint): a retryable RemoteError."""
    error = await failure(meter(adapter(emulator.url.replace("http://", "https://"))))
    assert (error.code, error.retryable) == ("SSLError", True)


async def test_invalid_region_is_a_retryable_remote_error(emulator: EmulatorServer) -> None:
    """InvalidRegionError, raised when the client is made: a RemoteError of the call, not a crash."""
    marketplace = BotoMarketplace(region="not a region!", session=fake_session())
    error = await failure(meter(marketplace))
    assert (error.code, error.retryable, error.outcome_unknown) == ("InvalidRegionError", True, False)


async def test_request_botocore_refuses_is_a_validation_error(emulator: EmulatorServer) -> None:
    """ParamValidationError: never sent; non-retryable ValidationException, so the shipper isolates it."""
    error = await failure(meter(adapter(emulator.url), Dimension=5))
    assert (error.code, error.retryable, error.outcome_unknown) == ("ValidationException", False, False)
    assert "botocore refused" in error.message
    assert emulator.state.stats.calls == 0


async def test_aws_error_answers_keep_their_code(emulator: EmulatorServer) -> None:
    """A ClientError keeps AWS's code; throttling is retryable and AWS answered, so not unknown."""
    emulator.state.update_faults({"throttle_next": 1})
    error = await failure(meter(adapter(emulator.url)))
    assert (error.code, error.retryable, error.outcome_unknown) == ("ThrottlingException", True, False)


# --- The total deadline and the bound on calls in flight --------------------------------------------


async def test_deadline_bounds_a_hung_call_and_stops_further_attempts(emulator: EmulatorServer) -> None:
    """A hung call ends at the deadline (not timeout x attempts); botocore sends no attempt after it."""
    # 1 s, not less: the warm-up call must finish inside the deadline on a busy machine (parallel workers,
    # coverage); the hung call exceeds any deadline.
    marketplace = adapter(emulator.url, max_attempts=3, timeout_seconds=5.0, call_deadline_seconds=1.0)
    await warm(marketplace)
    emulator.state.update_faults({"hang": True})
    error = await failure(meter(marketplace))
    assert (error.code, error.retryable, error.outcome_unknown) == ("CallDeadlineExceeded", True, True)
    assert "--aws-call-deadline-seconds" in error.message
    assert marketplace.calls_in_flight == 1  # its thread still waits on the socket, and counts
    emulator.state.update_faults({"hang": False})  # the held connection closes unanswered
    await asyncio.to_thread(wait_until, lambda: marketplace.calls_in_flight == 0)
    # botocore would retry the closed connection against a healthy AWS; the abandoned call must not.
    assert emulator.state.stats.hung == 1
    assert emulator.state.stats.calls == emulator.state.stats.success  # only the warm-up was answered
    healthy = adapter(emulator.url, call_deadline_seconds=30)  # a loaded machine may need more than 0.5 s
    assert [r.status for r in (await meter(healthy)).results] == ["Success"]


async def test_calls_in_flight_are_bounded(emulator: EmulatorServer) -> None:
    """Beyond --aws-max-calls-in-flight threads still blocked, calls fail fast unsent; room comes back."""
    emulator.state.add_tokens({"tok-secret": {"CustomerAWSAccountId": ACCOUNT, "ProductCode": PRODUCT}})
    # 1 s, not less: the warm-up calls must finish inside the deadline on a busy machine (parallel workers,
    # coverage); the hung calls exceed any deadline.
    marketplace = adapter(emulator.url, timeout_seconds=5.0, call_deadline_seconds=1.0, max_calls_in_flight=2)
    await warm(marketplace)
    emulator.state.update_faults({"hang": True})
    for dimension in ("a", "b"):
        assert (await failure(meter(marketplace, Dimension=dimension))).code == "CallDeadlineExceeded"
    for call in (meter(marketplace), marketplace.resolve_customer(registration_token="tok-secret")):
        error = await failure(call)
        assert (error.code, error.retryable, error.outcome_unknown) == ("TooManyCallsInFlight", True, False)
    assert emulator.state.stats.hung == 2  # the refused calls were never sent
    assert emulator.state.stats.hung_open_peak == 2
    emulator.state.update_faults({"hang": False})
    await asyncio.to_thread(wait_until, lambda: marketplace.calls_in_flight == 0)
    assert (
        await marketplace.resolve_customer(registration_token="tok-secret")
    ).customer_aws_account_id == ACCOUNT


async def test_a_hung_entitlement_endpoint_leaves_metering_its_own_slots(emulator: EmulatorServer) -> None:
    """Each endpoint has its own in-flight budget: GetEntitlements piling up never refuses BatchMeterUsage."""
    marketplace = adapter(emulator.url, timeout_seconds=5.0, call_deadline_seconds=0.3, max_calls_in_flight=1)
    await warm(marketplace)
    emulator.state.update_faults({"hang": True})
    lookup = marketplace.get_entitlements(product_code=PRODUCT, filters={}, next_token="", max_results=25)
    assert (await failure(lookup)).code == "CallDeadlineExceeded"  # its thread still holds the slot
    again = marketplace.get_entitlements(product_code=PRODUCT, filters={}, next_token="", max_results=25)
    assert (await failure(again)).code == "TooManyCallsInFlight"
    assert (await failure(meter(marketplace))).code == "CallDeadlineExceeded"  # sent: it had a slot
    assert emulator.state.stats.hung == 2
    emulator.state.update_faults({"hang": False})
    await asyncio.to_thread(wait_until, lambda: marketplace.calls_in_flight == 0)


async def test_a_cancelled_call_sends_nothing_more(emulator: EmulatorServer) -> None:
    """A caller that gives up first (its own deadline) abandons the call the same way."""
    marketplace = adapter(emulator.url, max_attempts=3, timeout_seconds=5.0, call_deadline_seconds=30)
    await warm(marketplace)
    emulator.state.update_faults({"hang": True})
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await meter(marketplace)
    emulator.state.update_faults({"hang": False})
    await asyncio.to_thread(wait_until, lambda: marketplace.calls_in_flight == 0)
    assert (emulator.state.stats.hung, emulator.state.stats.calls) == (1, 1)  # 1: the warm-up


def test_call_deadline_setting() -> None:
    """--aws-call-deadline-seconds comes from its env var and may not be below --aws-timeout-seconds."""
    config = config_module.from_mapping({"METERING_SIDECAR_AWS_CALL_DEADLINE_SECONDS": "45"})
    assert (config.aws_call_deadline_seconds, config.aws_max_calls_in_flight) == (45.0, 16)
    with pytest.raises(
        ConfigError, match="--aws-call-deadline-seconds: must be at least --aws-timeout-seconds"
    ):
        config_module.from_mapping({}, aws_timeout_seconds=20.0, aws_call_deadline_seconds=10.0)


async def test_missing_profile_is_a_failed_call_not_a_failed_start(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ProfileNotFound (AWS_PROFILE names no profile): the adapter is made, each call fails retryably."""
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    marketplace = BotoMarketplace(endpoint_url=emulator.url)
    error = await failure(meter(marketplace))
    assert (error.code, error.retryable, error.outcome_unknown) == ("ProfileNotFound", True, False)
    assert "no-such-profile" in error.message


def test_unreachable_codes_name_what_the_adapter_raises() -> None:
    """UNREACHABLE_CODES (for callers that stop early) holds the codes the tests above see for it."""
    assert {"CallDeadlineExceeded", "TooManyCallsInFlight", "ReadTimeoutError", "ConnectTimeoutError",
            "EndpointConnectionError", "NoCredentialsError", "PartialCredentialsError",
            "CredentialRetrievalError", "TokenRetrievalError", "ProfileNotFound"} <= UNREACHABLE_CODES  # fmt: skip
    assert "ThrottlingException" not in UNREACHABLE_CODES
    assert "ConnectionClosedError" not in UNREACHABLE_CODES  # one lost answer says little of the next

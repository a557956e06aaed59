"""The boto3 adapter: every call runs on its own daemon thread under a total deadline (``_calls.py``), and
every error botocore can raise becomes a RemoteError in one place (``_remote_error``).

A call to a hung endpoint blocks its thread until the socket times out; such threads are daemons, counted
until they return, and past ``max_calls_in_flight`` new calls fail fast with a retryable RemoteError.
botocore's own retries make one call last up to timeout times attempts: the deadline bounds the whole
call, and once it passes a ``before-send`` hook stops botocore from sending any further attempt.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import boto3
import botocore.config
import botocore.exceptions

from metering_sidecar.core import Entitlement, EntitlementValue, RemoteError, ResolvedCustomer
from metering_sidecar.marketplace._calls import CallRunner, CallTicket, DeadlinePassed
from metering_sidecar.marketplace._interface import EntitlementsPage, Marketplace
from metering_sidecar.targets import (
    CREDENTIAL_ERROR_NAMES,
    BatchMeterUsageResult,
    UsageRecord,
    UsageRecordResult,
)

log = logging.getLogger("sidecar.marketplace")

ENTITLEMENT_REGION = "us-east-1"
DEFAULT_CALL_DEADLINE_SECONDS = 30.0
DEFAULT_MAX_CALLS_IN_FLIGHT = 16

# AWS error codes that fail a whole call but may succeed when the identical call is repeated.
RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "InternalServiceErrorException",
        "ServiceUnavailableException",
        "InternalFailure",
        "ServiceUnavailable",
        "RequestTimeout",
        "RequestTimeoutException",
        "TooManyRequestsException",
    }
)

_exc = botocore.exceptions
# The connection was never made, so the request never left this process even though botocore was
# about to send it: AWS certainly did not see it.
_CONNECT_FAILURES: tuple[type[Exception], ...] = (
    _exc.EndpointConnectionError,
    _exc.ConnectTimeoutError,
    _exc.ProxyConnectionError,
)
# The SDK could not get or use credentials: raised while signing, before anything is sent. Looked up
# by name so that an older botocore without one of them still imports.
_CREDENTIAL_ERRORS: tuple[type[Exception], ...] = tuple(
    cls for name in CREDENTIAL_ERROR_NAMES if isinstance(cls := getattr(_exc, name, None), type)
)
_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b")
_URL_USERINFO = re.compile(r"(://)[^/@\s]+@")
_HTTP_STATUS = re.compile(r"response (\d{3})")
MAX_MESSAGE = 500

CallObserver = Callable[[str, str, float], None]


def _observe_nothing(operation: str, outcome: str, seconds: float) -> None:
    pass


_current = threading.local()


def _before_send(**kwargs: Any) -> None:
    """botocore hook, run on the calling thread just before each attempt goes out."""
    call: CallTicket | None = getattr(_current, "call", None)
    if call is not None:
        # Past the deadline the caller already answered with a timeout; another attempt would only add
        # load, and for ResolveCustomer could reach AWS after the caller was told it was never sent.
        call.claim_send()


class BotoMarketplace(Marketplace):
    """Marketplace over boto3, which brings the credential chain, signing and endpoint settings."""

    def __init__(
        self,
        *,
        region: str = "",
        endpoint_url: str = "",
        entitlement_endpoint_url: str = "",
        max_attempts: int = 3,
        timeout_seconds: float = 10.0,
        call_deadline_seconds: float = DEFAULT_CALL_DEADLINE_SECONDS,
        max_calls_in_flight: int = DEFAULT_MAX_CALLS_IN_FLIGHT,
        session: boto3.Session | None = None,
        observe: CallObserver = _observe_nothing,
    ) -> None:
        # The default session and its region are made with the first client: they read the profile,
        # which can fail to load (AWS_PROFILE naming no profile), and that must be a failed call
        # (logged, retried), not a failed start.
        self._session = session
        self._region = region
        self._endpoint_url = endpoint_url
        self._entitlement_endpoint_url = entitlement_endpoint_url
        self._max_attempts = max_attempts
        self._timeout = timeout_seconds
        self._runner = CallRunner(
            marketplace="AWS",
            call_deadline_seconds=call_deadline_seconds,
            max_calls_in_flight=max_calls_in_flight,
            deadline_code="CallDeadlineExceeded",
            deadline_note="botocore's own retries included (--aws-call-deadline-seconds)",
            in_flight_flag="--aws-max-calls-in-flight",
        )
        self._observe = observe
        # Clients are made on first use, on a call's thread: making one resolves credentials, which
        # can fail or block (a container credential endpoint that is down), and that must be a
        # RemoteError of one call, never a failed start.
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()

    @property
    def call_deadline(self) -> float:
        """Return the total deadline of one call, botocore's retries included."""
        return self._runner.call_deadline

    @property
    def max_calls_in_flight(self) -> int:
        """Return the budget of unanswered calls per endpoint."""
        return self._runner.max_calls_in_flight

    @property
    def calls_in_flight(self) -> int:
        """Return how many call threads have not returned yet (abandoned ones included)."""
        return self._runner.calls_in_flight

    # The clients by their old attribute names, for tests that check each one's region.
    @property
    def _metering(self) -> Any:
        return self._client("metering")

    @property
    def _entitlement(self) -> Any:
        return self._client("entitlement")

    def _client(self, name: str) -> Any:
        with self._clients_lock:
            client = self._clients.get(name)
            if client is None:
                client = self._make_client(name)
                self._clients[name] = client
            return client

    def _forget_client(self, name: str) -> None:
        with self._clients_lock:
            self._clients.pop(name, None)

    def _make_client(self, name: str) -> Any:
        # ResolveCustomer is not idempotent (AWS may refuse a resubmitted token), so it gets a client
        # of its own that never resends: one attempt, whatever --aws-max-attempts says.
        attempts = 1 if name == "resolve" else self._max_attempts
        config = botocore.config.Config(
            retries={"mode": "standard", "total_max_attempts": attempts},
            connect_timeout=self._timeout,
            read_timeout=self._timeout,
            user_agent_extra="metering-sidecar",
        )
        if self._session is None:
            self._session = boto3.Session()
        session = self._session
        kwargs: dict[str, Any] = {"config": config}
        if name == "entitlement":
            service = "marketplace-entitlement"
            # The entitlement service lives in us-east-1 only: pin it, whatever the metering region.
            kwargs["region_name"] = ENTITLEMENT_REGION
            endpoint = self._entitlement_endpoint_url
        else:
            service = "meteringmarketplace"
            kwargs["region_name"] = self._region or session.region_name or "us-east-1"
            endpoint = self._endpoint_url
        if endpoint:
            kwargs["endpoint_url"] = endpoint
        client = session.client(service, **kwargs)  # type: ignore[call-overload]
        client.meta.events.register("before-send", _before_send)
        return client

    async def batch_meter_usage(
        self, *, product_code: str | None, records: Sequence[UsageRecord]
    ) -> BatchMeterUsageResult:
        """Send one BatchMeterUsage call."""
        params: dict[str, Any] = {"UsageRecords": [_to_boto(r) for r in records]}
        if product_code:
            params["ProductCode"] = product_code
        answer = await self._call("BatchMeterUsage", "metering", "batch_meter_usage", params)
        return BatchMeterUsageResult(
            results=[
                UsageRecordResult(
                    usage_record=_from_boto(r.get("UsageRecord", {})),
                    status=str(r.get("Status", "")),
                    metering_record_id=str(r.get("MeteringRecordId", "")),
                )
                for r in answer.get("Results", [])
            ],
            unprocessed=[_from_boto(r) for r in answer.get("UnprocessedRecords", [])],
        )

    async def resolve_customer(self, *, registration_token: str) -> ResolvedCustomer:
        """Call ResolveCustomer once: no transport retry, since AWS may refuse a resubmitted token."""
        answer = await self._call(
            "ResolveCustomer",
            "resolve",
            "resolve_customer",
            {"RegistrationToken": registration_token},
            secrets=(registration_token,),
        )
        return ResolvedCustomer(
            customer_identifier=str(answer.get("CustomerIdentifier") or ""),
            customer_aws_account_id=str(answer.get("CustomerAWSAccountId") or ""),
            product_code=str(answer.get("ProductCode") or ""),
            license_arn=str(answer.get("LicenseArn") or ""),
        )

    async def get_entitlements(
        self, *, product_code: str, filters: Mapping[str, Sequence[str]], next_token: str, max_results: int
    ) -> EntitlementsPage:
        """Call GetEntitlements for one page."""
        params: dict[str, Any] = {"ProductCode": product_code, "MaxResults": max_results}
        if filters:
            params["Filter"] = {k: list(v) for k, v in filters.items()}
        if next_token:
            params["NextToken"] = next_token
        answer = await self._call("GetEntitlements", "entitlement", "get_entitlements", params)
        return EntitlementsPage(
            entitlements=[_entitlement(e) for e in answer.get("Entitlements", [])],
            next_token=str(answer.get("NextToken") or ""),
        )

    async def _call(
        self,
        operation: str,
        client_name: str,
        method_name: str,
        params: dict[str, Any],
        *,
        secrets: Sequence[str] = (),
    ) -> Any:
        started = time.monotonic()
        outcome = "error"

        def work(call: CallTicket) -> Any:
            _current.call = call
            try:
                return getattr(self._client(client_name), method_name)(**params)
            except Exception as exc:
                if isinstance(exc, _exc.NoCredentialsError):
                    # A client made while no credentials were found keeps none: make a new one next
                    # time, so credentials that appear later (an instance role that came up) are used.
                    self._forget_client(client_name)
                raise _remote_error(exc, operation, call, secrets) from None
            finally:
                _current.call = None

        try:
            # One budget per endpoint: a hung entitlement endpoint (us-east-1 only) must not starve
            # BatchMeterUsage of its slots, nor the other way round.
            answer = await self._runner.run(operation, _endpoint_of(client_name), work)
            outcome = "ok"
            return answer
        except RemoteError as exc:
            outcome = exc.code
            raise
        finally:
            self._observe(operation, outcome, time.monotonic() - started)


def _endpoint_of(client_name: str) -> str:
    # ResolveCustomer has a client of its own (no transport retries) on the metering endpoint.
    return "entitlement" if client_name == "entitlement" else "metering"


def _remote_error(exc: Exception, operation: str, call: CallTicket, secrets: Sequence[str]) -> RemoteError:
    """Translate anything a boto3 call raised into a RemoteError; nothing from botocore escapes."""
    if isinstance(exc, _exc.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return RemoteError(
            code,
            _scrub(str(error.get("Message", "")), secrets),
            retryable=code in RETRYABLE_CODES or status >= 500,
            # AWS answered the last attempt; an earlier unanswered one may still have landed.
            outcome_unknown=call.sends > 1,
        )
    # Nothing reached AWS if nothing was sent, or if the only attempt could not even connect.
    not_sent = call.sends == 0 or (call.sends == 1 and isinstance(exc, _CONNECT_FAILURES))
    name = type(exc).__name__
    if isinstance(exc, _exc.ParamValidationError):
        # botocore refused to send the request: repeating it cannot help. AWS's name for the same
        # refusal lets the shipper isolate the bad record instead of retrying the batch until expiry.
        return RemoteError(
            "ValidationException",
            f"botocore refused the {operation} request before sending it: {_scrub(str(exc), secrets)}",
            retryable=False,
        )
    if isinstance(exc, _CREDENTIAL_ERRORS):
        message = _scrub(_credential_message(exc), secrets)
    elif isinstance(exc, _exc.BotoCoreError):
        message = _scrub(str(exc), secrets)
    elif isinstance(exc, DeadlinePassed):
        name, message = "CallDeadlineExceeded", f"{operation} passed its deadline inside botocore"
    else:
        # Not botocore's own error type (a bug in botocore, urllib3 or here): still a failed call
        # that a later pass retries, but logged, since nothing should reach this branch.
        message = _scrub(str(exc), secrets)
        log.error("unexpected error from an AWS call",
                  extra={"fields": {"operation": operation, "error_type": name, "error": message}})  # fmt: skip
    return RemoteError(name, message, retryable=True, outcome_unknown=not not_sent)


def _credential_message(exc: Exception) -> str:
    """Say which provider failed and how, without anything the provider returned (it may hold secrets)."""
    kwargs: Mapping[str, Any] = getattr(exc, "kwargs", {}) or {}
    text = str(exc)
    if "error_msg" in kwargs:
        # error_msg can quote the provider's answer (a credential endpoint's body): keep only its status.
        status = _HTTP_STATUS.search(str(kwargs["error_msg"]))
        detail = f"HTTP {status.group(1)}" if status else "details withheld, they may quote the provider"
        try:
            text = str(getattr(exc, "fmt", "")).format(**{**kwargs, "error_msg": detail})
        except (KeyError, IndexError, ValueError):
            text = f"{type(exc).__name__} ({detail})"
    return (
        f"the AWS SDK could not get credentials: {text}; the call was not sent and is retried. Check the "
        "pod's IAM role: EKS Pod Identity or the ECS credential endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI), "
        "web identity, the profile, or the instance role"
    )


def _scrub(text: str, secrets: Sequence[str]) -> str:
    """Remove what must never reach a log line: the caller's secrets, key ids, URL passwords."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    text = _KEY_ID.sub("<key-id>", text)
    text = _URL_USERINFO.sub(r"\1<redacted>@", text)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "…"


def _entitlement(raw: Mapping[str, Any]) -> Entitlement:
    value = raw.get("Value") or {}
    chosen: EntitlementValue = None
    for key in ("IntegerValue", "DoubleValue", "BooleanValue", "StringValue"):
        if key in value:
            chosen = value[key]
            break
    expires = raw.get("ExpirationDate")
    return Entitlement(
        product_code=str(raw.get("ProductCode") or ""),
        dimension=str(raw.get("Dimension") or ""),
        customer_aws_account_id=str(raw.get("CustomerAWSAccountId") or ""),
        customer_identifier=str(raw.get("CustomerIdentifier") or ""),
        license_arn=str(raw.get("LicenseArn") or ""),
        expiration_date=expires.timestamp() if isinstance(expires, dt.datetime) else None,
        value=chosen,
    )


def _to_boto(record: UsageRecord) -> dict[str, Any]:
    out = dict(record)
    out["Timestamp"] = dt.datetime.fromtimestamp(int(record["Timestamp"]), tz=dt.UTC)
    return out


def _from_boto(record: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(record)
    stamp = out.get("Timestamp")
    if isinstance(stamp, dt.datetime):
        out["Timestamp"] = int(stamp.timestamp())
    return out

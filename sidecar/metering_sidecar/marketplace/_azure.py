"""The Azure Marketplace adapter: metered billing (batchUsageEvent) and SaaS fulfillment (resolve, activate,
get subscription) over HTTPS, with Entra ID tokens from azure-identity. It implements the targets part's
``AzureApi``; docs/azure-marketplace.md says what Microsoft documents and what the sidecar relies on.

Every call runs on a daemon thread of its own under a total deadline, with a budget of calls in flight per
endpoint (metering, fulfillment), as the boto3 adapter's calls do (``_calls.py``). Quantities go out and
come back as exact decimals: never floats.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import urllib3

from metering_sidecar.config import AZURE_MARKETPLACE_API
from metering_sidecar.core import RemoteError
from metering_sidecar.marketplace._azure_auth import AzureIdentity, TokenSource
from metering_sidecar.marketplace._azure_http import (
    Answer,
    AzureHttp,
    answer_error,
    remote_error,
    tls_context,
)
from metering_sidecar.marketplace._calls import CallRunner, CallTicket
from metering_sidecar.targets import AzureSubscription, AzureUsageResult

DEFAULT_API_URL = AZURE_MARKETPLACE_API  # the settings' default, one definition
METERING_API_VERSION = "2018-08-31"
FULFILLMENT_API_VERSION = "2018-08-31"
MAX_EVENTS_PER_CALL = 25
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_CALL_DEADLINE_SECONDS = 30.0
DEFAULT_MAX_CALLS_IN_FLIGHT = 16
_EVENT_FIELDS = ("resourceId", "planId", "dimension", "quantity", "effectiveStartTime")

CallObserver = Callable[[str, str, float], None]


def _observe_nothing(operation: str, outcome: str, seconds: float) -> None:
    pass


class AzureMarketplace:
    """The Azure Marketplace APIs the sidecar calls. Whole-call failures raise RemoteError."""

    def __init__(
        self,
        identity: AzureIdentity,
        *,
        metering_endpoint_url: str = DEFAULT_API_URL,
        fulfillment_endpoint_url: str = DEFAULT_API_URL,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        call_deadline_seconds: float = DEFAULT_CALL_DEADLINE_SECONDS,
        max_calls_in_flight: int = DEFAULT_MAX_CALLS_IN_FLIGHT,
        observe: CallObserver = _observe_nothing,
    ) -> None:
        identity.check()
        self.identity = identity
        self._metering = metering_endpoint_url.rstrip("/")
        self._fulfillment = fulfillment_endpoint_url.rstrip("/")
        self._observe = observe
        self._runner = CallRunner(
            marketplace="Azure",
            call_deadline_seconds=call_deadline_seconds,
            max_calls_in_flight=max_calls_in_flight,
            deadline_code="Timeout",
            deadline_note="the token and the retry after a 403 included (--azure-call-deadline-seconds)",
            in_flight_flag="--azure-max-calls-in-flight",
        )
        self.tokens = TokenSource(lambda: identity.credential(timeout_seconds))
        # One host usually serves both endpoints: room for both budgets of calls in flight. The context trusts
        # the system's CAs plus the identity's bundle (urllib3's ca_certs would trust the bundle alone).
        self._pool = urllib3.PoolManager(
            maxsize=2 * max(1, max_calls_in_flight), block=False, ssl_context=tls_context(identity.ca_bundle)
        )
        self._http = AzureHttp(self.tokens, self._pool, timeout_seconds)

    @property
    def call_deadline(self) -> float:
        """Return the total deadline of one call, token and retry after a 403 included."""
        return self._runner.call_deadline

    @property
    def calls_in_flight(self) -> int:
        """Return how many call threads have not returned yet (abandoned ones included)."""
        return self._runner.calls_in_flight

    async def batch_usage_event(self, events: Sequence[Mapping[str, Any]]) -> Sequence[AzureUsageResult]:
        """POST /batchUsageEvent with 1 to 25 events; return Azure's result for each, in its order."""
        if not 1 <= len(events) <= MAX_EVENTS_PER_CALL:
            raise ValueError(
                f"a batchUsageEvent call holds 1 to {MAX_EVENTS_PER_CALL} events, got {len(events)}"
            )
        body = ('{"request":[' + ",".join(_event_json(e) for e in events) + "]}").encode()
        url = f"{self._metering}/batchUsageEvent?api-version={METERING_API_VERSION}"
        answer = await self._call("batchUsageEvent", "metering", "POST", url, body)
        results = answer.body.get("result") if isinstance(answer.body, dict) else None
        if not isinstance(results, list):
            raise RemoteError(
                "ServiceError",
                f"Azure answered batchUsageEvent without a result list (x-ms-requestid {answer.request_id})",
                retryable=True,
                outcome_unknown=True,
            )
        return [_usage_result(r) for r in results if isinstance(r, dict)]

    async def resolve_subscription(self, marketplace_token: str) -> AzureSubscription:
        """POST /saas/subscriptions/resolve with the landing page's token (URL-decoded, as the page got it)."""
        if not marketplace_token:
            raise ValueError("the marketplace token is empty")
        url = f"{self._fulfillment}/saas/subscriptions/resolve?api-version={FULFILLMENT_API_VERSION}"
        answer = await self._call(
            "ResolveSubscription",
            "fulfillment",
            "POST",
            url,
            b"",
            headers={"x-ms-marketplace-token": marketplace_token},
            secrets=(marketplace_token,),
        )
        return _subscription(answer.body, resolved=True)

    async def activate_subscription(self, subscription_id: str, plan_id: str, quantity: int) -> None:
        """POST /saas/subscriptions/{id}/activate with the purchased plan (and seats, when above 0)."""
        if not plan_id:
            raise ValueError("activate needs the purchased plan id")
        payload: dict[str, Any] = {"planId": plan_id}
        if quantity > 0:
            payload["quantity"] = str(quantity)
        url = f"{self._subscription_url(subscription_id)}/activate?api-version={FULFILLMENT_API_VERSION}"
        await self._call("ActivateSubscription", "fulfillment", "POST", url, json.dumps(payload).encode())

    async def get_subscription(self, subscription_id: str) -> AzureSubscription:
        """GET /saas/subscriptions/{id}: the subscription's current plan, seats and status."""
        url = f"{self._subscription_url(subscription_id)}?api-version={FULFILLMENT_API_VERSION}"
        answer = await self._call("GetSubscription", "fulfillment", "GET", url, None)
        return _subscription(answer.body, resolved=False)

    async def close(self) -> None:
        """Release connections; calls still on their threads end by their own timeouts."""
        self._pool.clear()
        self.tokens.close()

    def _subscription_url(self, subscription_id: str) -> str:
        if not subscription_id:
            raise ValueError("the SaaS subscription id is empty")
        return f"{self._fulfillment}/saas/subscriptions/{quote(subscription_id, safe='')}"

    async def _call(
        self,
        operation: str,
        endpoint: str,
        method: str,
        url: str,
        body: bytes | None,
        *,
        headers: dict[str, str] | None = None,
        secrets: Sequence[str] = (),
    ) -> Answer:
        started = time.monotonic()
        outcome = "error"

        def work(ticket: CallTicket) -> Answer:
            try:
                answer = self._http.send(ticket, method, url, body, headers)
            except RemoteError:
                raise
            except Exception as exc:
                raise remote_error(exc, operation, ticket, secrets) from None
            if not 200 <= answer.status < 300:
                raise answer_error(answer, operation, secrets)
            return answer

        try:
            answer = await self._runner.run(operation, endpoint, work)
            outcome = "ok"
            return answer
        except RemoteError as exc:
            outcome = exc.code
            raise
        finally:
            self._observe(operation, outcome, time.monotonic() - started)


def _event_json(event: Mapping[str, Any]) -> str:
    """Return one usage event as JSON, its quantity written as the exact decimal it is."""
    missing = [f for f in _EVENT_FIELDS if f not in event]
    if missing:
        raise ValueError(f"a usage event needs {', '.join(missing)}")
    fields = [f"{json.dumps(k)}:{_number(v) if k == 'quantity' else json.dumps(v)}" for k, v in event.items()]
    return "{" + ",".join(fields) + "}"


def _number(value: Any) -> str:
    """Return a quantity as JSON number text, exactly; floats are refused (they are not exact)."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ValueError(
            f"quantity must be an int, a Decimal or a decimal string, not {type(value).__name__}"
        )
    try:
        number = Decimal(value)
    except ArithmeticError:
        raise ValueError(f"quantity {value!r} is not a decimal number") from None
    if not number.is_finite():
        raise ValueError(f"quantity {value!r} is not a finite number")
    return format(number, "f")


def _text(value: Any) -> str:
    """Return an echoed field as text; numbers exactly as Azure wrote them."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _usage_result(raw: Mapping[str, Any]) -> AzureUsageResult:
    error = raw.get("error") if isinstance(raw.get("error"), dict) else {}
    assert isinstance(error, dict)
    info = error.get("additionalInfo")
    accepted = info.get("acceptedMessage") if isinstance(info, dict) else None
    message = str(error.get("message") or "")
    details = error.get("details")
    if isinstance(details, list):
        message = "; ".join([message, *(str(d.get("message", "")) for d in details if isinstance(d, dict))])
    return AzureUsageResult(
        status=_text(raw.get("status")),
        usage_event_id=_text(raw.get("usageEventId")),
        resource_id=_text(raw.get("resourceId") or raw.get("resourceUri")),
        plan_id=_text(raw.get("planId")),
        dimension=_text(raw.get("dimension")),
        quantity=_text(raw.get("quantity")),
        effective_start_time=_text(raw.get("effectiveStartTime")),
        error_code=_text(error.get("code")),
        error_message=message,
        accepted_message=dict(accepted) if isinstance(accepted, dict) else None,
    )


def _subscription(body: Any, *, resolved: bool) -> AzureSubscription:
    if not isinstance(body, dict):
        raise RemoteError("ServiceError", "Azure answered without a subscription", retryable=True)
    detail = body.get("subscription") if resolved else body
    detail = detail if isinstance(detail, dict) else {}
    purchaser = detail.get("purchaser") if isinstance(detail.get("purchaser"), dict) else {}
    beneficiary = detail.get("beneficiary") if isinstance(detail.get("beneficiary"), dict) else {}
    quantity = body.get("quantity") if body.get("quantity") not in (None, "") else detail.get("quantity")
    return AzureSubscription(
        subscription_id=_text(body.get("id") or detail.get("id")),
        offer_id=_text(body.get("offerId") or detail.get("offerId")),
        plan_id=_text(body.get("planId") or detail.get("planId")),
        quantity=_seats(quantity),
        # Microsoft's samples show the status padded with spaces (" Subscribed ").
        status=_text(detail.get("saasSubscriptionStatus")).strip(),
        purchaser_tenant_id=_text(purchaser.get("tenantId") if purchaser else ""),
        beneficiary_tenant_id=_text(beneficiary.get("tenantId") if beneficiary else ""),
        name=_text(body.get("subscriptionName") or detail.get("name")),
        raw=body,
    )


def _seats(value: Any) -> int:
    """Return the purchased seats ("20", 20, "" or null for plans not sold per seat: 0)."""
    try:
        return int(Decimal(str(value))) if value not in (None, "") else 0
    except ArithmeticError:
        return 0

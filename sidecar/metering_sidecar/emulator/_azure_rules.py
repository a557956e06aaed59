"""The emulated Azure Marketplace: metered billing (batchUsageEvent) and SaaS fulfillment, with Microsoft's rules.

It keeps what Azure keeps: one usage event per resource, dimension and UTC hour. The first one is
accepted; any later event for that slot, identical or not, gets status Duplicate with the accepted event in
``error.additionalInfo.acceptedMessage``: Azure has no idempotent success for a resend. Events older than
24 hours are Expired, quantities must be above 0, a call holds at most 25 events, and every call needs a
bearer token the emulated Entra ID issued (403 otherwise).
"""

from __future__ import annotations

import datetime as dt
import random
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from metering_sidecar.core import Clock, SystemClock
from metering_sidecar.emulator._azure_entra import EmulatedEntra
from metering_sidecar.emulator._azure_model import (
    AcceptedEvent,
    AzureSettings,
    AzureStats,
    AzureSubscriptionRecord,
)
from metering_sidecar.emulator._hang import HangGate
from metering_sidecar.emulator._model import ApiError, DropConnection

MAX_EVENTS = 25
API_VERSION = "2018-08-31"
_EVENT_FIELDS = ("resourceId", "planId", "dimension", "quantity", "effectiveStartTime")


class AzureState:
    """Thread-safe state of the emulated Azure Marketplace and its Entra ID."""

    def __init__(self, settings: AzureSettings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or AzureSettings()
        self.faults = self.settings.faults
        self.clock = clock or SystemClock()
        self.stats = AzureStats()
        self._lock = threading.Lock()
        self._gate = HangGate(self._lock)
        self._random = random.Random(self.settings.seed)
        self._entra = EmulatedEntra(self.settings, self.stats)
        self._events: dict[tuple[str, ...], AcceptedEvent] = {}

    # --- what tests and the demo read -------------------------------------------------------------

    def billed(self) -> list[dict[str, Any]]:
        """Return every accepted usage event ("what Azure billed"), oldest hour first."""
        with self._lock:
            events = sorted(self._events.values(), key=lambda e: (e.hour, e.resource_id, e.dimension))
            return [asdict(e) for e in events]

    def snapshot(self) -> dict[str, Any]:
        """Return the counters and the faults in force."""
        with self._lock:
            return {"stats": asdict(self.stats), "faults": asdict(self.faults)}

    def issued_tokens(self) -> list[str]:
        """Return every access token the token endpoint issued (tests check none reaches a log)."""
        with self._lock:
            return list(self._entra.every_token)

    # --- admin ------------------------------------------------------------------------------------

    def update_faults(self, values: Mapping[str, Any]) -> None:
        """Change faults at run time."""
        with self._lock:
            self.faults.update(values)
            self._gate.wake()

    def set_subscriptions(self, subscriptions: Mapping[str, Mapping[str, Any]]) -> None:
        """Add or replace SaaS subscriptions: {id: {"planId", "status", "quantity", "clientId", ...}}."""
        records = [AzureSubscriptionRecord.from_admin(str(k), v) for k, v in subscriptions.items()]
        with self._lock:
            self.settings.subscriptions.update({r.id: r for r in records})

    def set_plans(self, plans: Mapping[str, Any]) -> None:
        """Declare plans' dimensions: {plan id: [dimension, ...]}; events of other dimensions are refused."""
        if not all(isinstance(v, list) for v in plans.values()):
            raise ApiError("BadArgument", "each plan maps to a list of dimensions")
        with self._lock:
            self.settings.plan_dimensions.update({str(p): frozenset(map(str, d)) for p, d in plans.items()})

    def add_marketplace_tokens(self, tokens: Mapping[str, Any]) -> None:
        """Add landing page tokens: {token: subscription id} or {token: {"id": ..., subscription fields}}."""
        with self._lock:
            for token, target in tokens.items():
                if isinstance(target, Mapping):
                    record = AzureSubscriptionRecord.from_admin(str(target.get("id") or ""), target)
                    if not record.id:
                        raise ApiError("BadArgument", f"token {token!r}: the subscription needs an id")
                    self.settings.subscriptions[record.id] = record
                    target = record.id
                self.settings.marketplace_tokens[str(token)] = str(target)

    def set_clients(self, clients: Mapping[str, Any]) -> None:
        """Register Entra apps: {client id: secret, or "" for one that signs assertions}."""
        with self._lock:
            if self.settings.clients is None:
                self.settings.clients = {}
            self.settings.clients.update({str(k): str(v or "") for k, v in clients.items()})

    def revoke_tokens(self) -> int:
        """Invalidate every access token issued so far (as an expired or revoked token would be)."""
        with self._lock:
            return self._entra.revoke_all()

    # --- the hang fault ---------------------------------------------------------------------------

    def hold_if_hung(self, connection: socket.socket, stopping: Callable[[], bool]) -> bool:
        """Block while the hang fault is set; return True if the call was held (close it unanswered)."""
        return self._gate.hold(connection, lambda: self.faults.hang, stopping, self.stats)

    def wake_hung(self) -> None:
        """Wake held calls so they re-check the fault (used when the server stops)."""
        with self._lock:
            self._gate.wake()

    # --- Entra ID ---------------------------------------------------------------------------------

    def issue_token(self, form: Mapping[str, str]) -> dict[str, Any]:
        """Answer the token endpoint (raises TokenRefused)."""
        with self._lock:
            return self._entra.issue(form, self.clock.now())

    @staticmethod
    def openid_configuration(base_url: str, tenant: str) -> dict[str, Any]:
        """Return the tenant's OpenID configuration."""
        return EmulatedEntra.openid_configuration(base_url, tenant)

    def authenticate(self, authorization: str) -> str:
        """Return the client id of a call's bearer token, or raise a 403 ApiError."""
        with self._lock:
            client = self._entra.client_of(authorization, self.clock.now())
            if client is None or self.faults.forbidden:
                self.stats.forbidden += 1
                reason = "is missing, invalid or expired" if client is None else "belongs to another app"
                raise ApiError("Forbidden", f"The authorization token {reason}.", 403)
            return client

    # --- metered billing --------------------------------------------------------------------------

    def batch_usage_event(self, client_id: str, body: Any) -> dict[str, Any]:
        """Apply one batchUsageEvent call; raise ApiError or DropConnection as Azure would fail."""
        with self._lock:
            self._inject_call_faults()
            self.stats.calls += 1
            events = body.get("request") if isinstance(body, dict) else None
            if not isinstance(events, list) or not events:
                self.stats.rejected_calls += 1
                raise ApiError("BadArgument", "The request must hold a non-empty list 'request'.")
            if len(events) > MAX_EVENTS:
                self.stats.rejected_calls += 1
                raise ApiError(
                    "BadArgument", f"The batch contained {len(events)} usage events; at most {MAX_EVENTS}."
                )
            self.stats.events_received += len(events)
            self.stats.largest_call = max(self.stats.largest_call, len(events))
            now = self.clock.now()
            results = [self._usage_event(client_id, event, now) for event in events]
            for result in results:
                self.stats.statuses[result["status"]] += 1
            self._maybe_drop()
            return {"count": len(results), "result": results}

    def _usage_event(self, client_id: str, event: Any, now: float) -> dict[str, Any]:
        if not isinstance(event, dict):
            return _refused("BadArgument", "A usage event must be an object.", {})
        echo = {k: _echo(event[k]) for k in _EVENT_FIELDS if k in event}
        try:
            resource, plan, dimension, quantity, stamp = _fields(event)
        except ValueError as exc:
            return _refused("BadArgument", str(exc), echo)
        if resource in self.faults.event_errors:
            return _refused("Error", self.faults.event_errors[resource], echo)
        if quantity <= 0:
            return _refused("InvalidQuantity", "The quantity must be greater than 0.", echo)
        if stamp <= now - self.settings.max_age_seconds:
            return _refused("Expired", "The usage event is older than 24 hours.", echo)
        if stamp > now + self.settings.future_tolerance_seconds:
            return _refused("BadArgument", "effectiveStartTime is in the future.", echo)
        refusal = self._check_resource(client_id, resource, plan, dimension, stamp)
        if refusal is not None:
            return _refused(*refusal, echo)
        hour = int(stamp // self.settings.hour_seconds)
        key = (resource, dimension, str(hour)) + (
            (plan,) if self.settings.duplicate_key_includes_plan else ()
        )
        accepted = self._events.get(key)
        if accepted is not None:
            if accepted.same_event(plan, quantity, str(event["effectiveStartTime"])):
                self.stats.identical_repeats += 1
            else:
                self.stats.conflicting_duplicates += 1
            return {
                "status": "Duplicate",
                "messageTime": "0001-01-01T00:00:00",
                "error": {
                    "additionalInfo": {"acceptedMessage": accepted.wire("Duplicate")},
                    "message": "This usage event already exist.",
                    "code": "Conflict",
                },
                **echo,
            }
        accepted = AcceptedEvent(
            usage_event_id=str(uuid.UUID(int=self._random.getrandbits(128), version=4)),
            message_time=_iso(now),
            resource_id=resource,
            plan_id=plan,
            dimension=dimension,
            quantity=float(quantity),
            effective_start_time=str(event["effectiveStartTime"]),
            hour=hour,
            client_id=client_id,
        )
        self._events[key] = accepted
        return accepted.wire("Accepted")

    def _check_resource(
        self, client_id: str, resource: str, plan: str, dimension: str, stamp: float
    ) -> tuple[str, str] | None:
        subscription = self.settings.subscriptions.get(resource)
        if subscription is None:
            if not self.settings.auto_subscribe:
                return "ResourceNotFound", f"The resource {resource} was not found."
            subscription = AzureSubscriptionRecord(id=resource, plan_id=plan, client_id=client_id)
            self.settings.subscriptions[resource] = subscription
        if subscription.client_id and subscription.client_id != client_id:
            return "ResourceNotAuthorized", "You are not authorized to provide usage for this resource."
        ended_before = subscription.unsubscribed_at is not None and stamp < subscription.unsubscribed_at
        if subscription.status != "Subscribed" and not (
            subscription.status == "Unsubscribed" and ended_before
        ):
            return "ResourceNotActive", f"The resource is {subscription.status}."
        if plan != subscription.plan_id:
            return "BadArgument", f"planId {plan!r} is not the plan of this subscription."
        dimensions = self.settings.plan_dimensions.get(plan)
        if dimensions is not None and dimension not in dimensions:
            return "InvalidDimension", f"The dimension {dimension!r} is not valid for plan {plan!r}."
        return None

    # --- SaaS fulfillment -------------------------------------------------------------------------

    def resolve(self, client_id: str, marketplace_token: str) -> dict[str, Any]:
        """Answer Resolve: the landing page token's subscription (not single-use, as far as Microsoft says)."""
        with self._lock:
            self.stats.resolve_calls += 1
            self._inject_call_faults()
            subscription_id = self.settings.marketplace_tokens.get(marketplace_token)
            subscription = self.settings.subscriptions.get(subscription_id or "")
            if not marketplace_token or subscription is None:
                raise ApiError(
                    "BadArgument", "x-ms-marketplace-token is missing, malformed, invalid or expired."
                )
            self._authorize(client_id, subscription)
            answer = {
                "id": subscription.id,
                "subscriptionName": subscription.name,
                "offerId": subscription.offer_id,
                "planId": subscription.plan_id,
                "quantity": "" if subscription.quantity is None else str(subscription.quantity),
                "subscription": subscription.wire(),
            }
            self._maybe_drop()
            return answer

    def activate(self, client_id: str, subscription_id: str, body: Any) -> None:
        """Apply Activate: PendingFulfillmentStart becomes Subscribed when plan and quantity match."""
        with self._lock:
            self.stats.activate_calls += 1
            self._inject_call_faults()
            subscription = self._subscription(client_id, subscription_id)
            if subscription.status == "Unsubscribed":
                raise ApiError("NotFound", "The SaaS subscription is Unsubscribed.", 404)
            plan = body.get("planId") if isinstance(body, dict) else None
            if not plan or plan != subscription.plan_id:
                raise ApiError("BadArgument", f"planId {plan!r} does not match the purchased plan.")
            quantity = body.get("quantity")
            given = quantity not in (None, "") and subscription.quantity is not None
            if given and str(quantity) != str(subscription.quantity):
                raise ApiError("BadArgument", f"quantity {quantity!r} does not match the purchase.")
            if subscription.status != "PendingFulfillmentStart":
                raise ApiError("BadArgument", f"The SaaS subscription is already {subscription.status}.")
            subscription.status = "Subscribed"
            self._maybe_drop()

    def get_subscription(self, client_id: str, subscription_id: str) -> dict[str, Any]:
        """Answer Get Subscription."""
        with self._lock:
            self.stats.get_calls += 1
            self._inject_call_faults()
            return self._subscription(client_id, subscription_id).wire()

    def _subscription(self, client_id: str, subscription_id: str) -> AzureSubscriptionRecord:
        subscription = self.settings.subscriptions.get(subscription_id)
        if subscription is None:
            raise ApiError("NotFound", f"SaaS subscription {subscription_id} was not found.", 404)
        self._authorize(client_id, subscription)
        return subscription

    def _authorize(self, client_id: str, subscription: AzureSubscriptionRecord) -> None:
        if subscription.client_id and subscription.client_id != client_id:
            self.stats.forbidden += 1
            raise ApiError("Forbidden", "The subscription belongs to an offer of another Entra app.", 403)

    # --- faults -----------------------------------------------------------------------------------

    def _roll(self, rate: float) -> bool:
        return rate > 0 and self._random.random() < rate

    def _inject_call_faults(self) -> None:
        faults = self.faults
        if faults.outage or faults.error_next > 0 or self._roll(faults.error_rate):
            faults.error_next = max(0, faults.error_next - 1)
            self.stats.errors += 1
            raise ApiError("InternalServerError", "injected service error", 500)
        if faults.throttle_next > 0 or self._roll(faults.throttle_rate):
            faults.throttle_next = max(0, faults.throttle_next - 1)
            self.stats.throttled += 1
            raise ApiError("TooManyRequests", "Rate limit exceeded; retry later.", 429)

    def _maybe_drop(self) -> None:
        if self.faults.drop_next > 0 or self._roll(self.faults.drop_rate):
            # The call took effect; the caller never hears so. Its resend meets Duplicate.
            self.faults.drop_next = max(0, self.faults.drop_next - 1)
            self.stats.dropped += 1
            raise DropConnection()


def _fields(event: Mapping[str, Any]) -> tuple[str, str, str, Decimal, float]:
    """Return an event's resource, plan, dimension, quantity and stamp, or raise ValueError naming the field."""
    values = []
    for name in ("resourceId", "planId", "dimension"):
        value = event.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"The {name} is required.")
        values.append(value)
    quantity = event.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int | Decimal):
        raise ValueError("The quantity must be a number.")
    if not Decimal(quantity).is_finite():
        raise ValueError("The quantity must be a finite number.")
    stamp = event.get("effectiveStartTime")
    try:
        when = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        raise ValueError(f"The effectiveStartTime {stamp!r} is not a date and time.") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return values[0], values[1], values[2], Decimal(quantity), when.timestamp()


def _echo(value: Any) -> Any:
    # Azure answers quantities as doubles (its samples show 5.0 for 5); the rest as sent.
    return float(value) if isinstance(value, Decimal | int) and not isinstance(value, bool) else value


def _refused(status: str, message: str, echo: Mapping[str, Any]) -> dict[str, Any]:
    return {"status": status, "messageTime": "0001-01-01T00:00:00",
            "error": {"code": status, "message": message}, **echo}  # fmt: skip


def _iso(stamp: float) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

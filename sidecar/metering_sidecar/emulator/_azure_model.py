"""The emulated Azure Marketplace's data: faults, counters, settings, SaaS subscriptions and accepted events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from metering_sidecar.emulator._model import ApiError

# The per-event statuses of batchUsageEvent, as Microsoft lists them.
STATUSES = (
    "Accepted",
    "Expired",
    "Duplicate",
    "Error",
    "ResourceNotFound",
    "ResourceNotAuthorized",
    "ResourceNotActive",
    "InvalidDimension",
    "InvalidQuantity",
    "BadArgument",
)
SUBSCRIPTION_STATUSES = ("PendingFulfillmentStart", "Subscribed", "Suspended", "Unsubscribed")


@dataclass
class AzureFaults:
    """Injected faults of the Azure side; rates are probabilities per call.

    drop_rate applies to batchUsageEvent, resolve and activate: the call takes effect, the answer is lost.
    """

    throttle_rate: float = 0.0  # 429
    error_rate: float = 0.0  # 500
    drop_rate: float = 0.0
    outage: bool = False  # every call answers 500
    delay_seconds: float = 0.0
    throttle_next: int = 0  # the next N calls (any operation) answer 429: deterministic retries
    error_next: int = 0  # the next N calls answer 500
    drop_next: int = 0  # the next N calls take effect and are then closed unanswered
    # Every call is accepted on TCP and never answered until cleared, then closed unanswered.
    hang: bool = False
    # Every call answers 403 whatever its token: the Entra app is not the one registered on the offer.
    forbidden: bool = False
    # The event of an Error status: resource id -> message. That resource's events answer status Error.
    event_errors: dict[str, str] = field(default_factory=dict)

    def update(self, values: Mapping[str, Any]) -> None:
        """Change the named faults."""
        names = {f.name for f in fields(self)}
        for key, value in values.items():
            if key not in names:
                raise ApiError("BadArgument", f"unknown Azure fault {key!r}")
            current = getattr(self, key)
            setattr(self, key, dict(value) if isinstance(current, dict) else type(current)(value))


@dataclass
class AzureStats:
    """Counters of what the Azure side saw."""

    calls: int = 0  # batchUsageEvent calls past authentication and the injected 429/500 faults
    events_received: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    # Of the Duplicate answers: resends of the accepted event itself (same plan, quantity and time: a lost
    # answer, safe to bill), and other events for a taken slot (usage that is NOT billed).
    identical_repeats: int = 0
    conflicting_duplicates: int = 0
    largest_call: int = 0
    rejected_calls: int = 0  # whole calls answered 400
    forbidden: int = 0  # calls answered 403
    throttled: int = 0
    errors: int = 0
    dropped: int = 0
    token_requests: int = 0  # requests to the token endpoint
    tokens_issued: int = 0
    token_refusals: int = 0
    resolve_calls: int = 0
    activate_calls: int = 0
    get_calls: int = 0
    hung: int = 0
    hung_open_peak: int = 0


@dataclass
class AzureSubscriptionRecord:
    """A SaaS subscription as the emulator keeps it."""

    id: str
    offer_id: str = "offer"
    plan_id: str = "plan"
    quantity: int | None = None
    status: str = "Subscribed"
    name: str = ""
    purchaser_tenant_id: str = ""
    beneficiary_tenant_id: str = ""
    # The Entra app registered on the offer: events sent with another app's token are ResourceNotAuthorized.
    client_id: str = ""
    # When it was unsubscribed (epoch seconds): usage for hours before it is still accepted, as Microsoft allows.
    unsubscribed_at: float | None = None

    @classmethod
    def from_admin(cls, subscription_id: str, raw: Mapping[str, Any]) -> AzureSubscriptionRecord:
        """Build one from the admin API's JSON (Azure's camelCase names)."""
        status = str(raw.get("status") or raw.get("saasSubscriptionStatus") or "Subscribed")
        if status not in SUBSCRIPTION_STATUSES:
            raise ApiError("BadArgument", f"status must be one of {SUBSCRIPTION_STATUSES}, got {status!r}")
        quantity = raw.get("quantity")
        unsubscribed_at = raw.get("unsubscribedAt")
        return cls(
            id=subscription_id,
            offer_id=str(raw.get("offerId") or "offer"),
            plan_id=str(raw.get("planId") or "plan"),
            quantity=None if quantity in (None, "") else int(quantity),
            status=status,
            name=str(raw.get("name") or ""),
            purchaser_tenant_id=str(raw.get("purchaserTenantId") or ""),
            beneficiary_tenant_id=str(raw.get("beneficiaryTenantId") or ""),
            client_id=str(raw.get("clientId") or ""),
            unsubscribed_at=None if unsubscribed_at is None else float(unsubscribed_at),
        )

    def wire(self) -> dict[str, Any]:
        """Return it as the fulfillment API's Get Subscription answers."""
        return {
            "id": self.id,
            "name": self.name,
            "publisherId": "emulator",
            "offerId": self.offer_id,
            "planId": self.plan_id,
            "quantity": self.quantity,
            "beneficiary": {"tenantId": self.beneficiary_tenant_id or self.purchaser_tenant_id},
            "purchaser": {"tenantId": self.purchaser_tenant_id},
            "allowedCustomerOperations": ["Read", "Update", "Delete"],
            "sessionMode": "None",
            "isFreeTrial": False,
            "isTest": False,
            "sandboxType": "None",
            "saasSubscriptionStatus": self.status,
        }


@dataclass
class AcceptedEvent:
    """A usage event Azure accepted: the one of its resource, dimension and hour."""

    usage_event_id: str
    message_time: str
    resource_id: str
    plan_id: str
    dimension: str
    quantity: float  # Azure's docs show quantities as doubles (5.0); the emulator keeps one too
    effective_start_time: str  # as the publisher sent it
    hour: int  # epoch hour of effectiveStartTime
    client_id: str

    def same_event(self, plan_id: str, quantity: Decimal, effective_start_time: str) -> bool:
        """Return whether an event for this slot is this one sent again (plan, quantity and time as sent)."""
        return (
            plan_id == self.plan_id
            and quantity == Decimal(repr(self.quantity))
            and effective_start_time == self.effective_start_time
        )

    def wire(self, status: str) -> dict[str, Any]:
        """Return it as a result entry (or an acceptedMessage) of batchUsageEvent."""
        return {
            "usageEventId": self.usage_event_id,
            "status": status,
            "messageTime": self.message_time,
            "resourceId": self.resource_id,
            "quantity": self.quantity,
            "dimension": self.dimension,
            "effectiveStartTime": self.effective_start_time,
            "planId": self.plan_id,
        }


@dataclass
class AzureSettings:
    """How the emulated Azure Marketplace behaves."""

    max_age_seconds: int = 24 * 3600
    future_tolerance_seconds: int = 300
    # The length of Azure's "hour" (one event per resource, dimension and hour): shorter only for tests and
    # demos whose sidecar runs with short windows (--window-seconds), like the AWS side's dedup_seconds.
    hour_seconds: int = 3600
    # Whether planId is part of the one-event-per-hour key. Microsoft's docs say "per resource and
    # dimension"; False follows them (a second event for another plan of the same hour is a Duplicate).
    duplicate_key_includes_plan: bool = False
    # The SaaS subscriptions (resources) that exist, by id.
    subscriptions: dict[str, AzureSubscriptionRecord] = field(default_factory=dict)
    # True: an event for an unknown resource creates a Subscribed subscription of the event's plan, for the
    # sending app (demos); False: it is ResourceNotFound.
    auto_subscribe: bool = False
    # plan id -> its dimensions; a plan not listed accepts any dimension.
    plan_dimensions: dict[str, frozenset[str]] = field(default_factory=dict)
    # Landing page tokens (x-ms-marketplace-token) -> SaaS subscription id.
    marketplace_tokens: dict[str, str] = field(default_factory=dict)
    # Entra apps allowed a token: client id -> its secret, or "" for one that signs assertions
    # (certificate, workload identity). None: any client id with any credential.
    clients: dict[str, str] | None = None
    token_lifetime_seconds: int = 3600
    seed: int | None = None
    faults: AzureFaults = field(default_factory=AzureFaults)

"""What the Azure target needs from an Azure Marketplace adapter, and the answers it gets back.

The adapter (``metering_sidecar.marketplace``) does the HTTP and the Entra ID tokens; the target
(rules for events, records, calls and verdicts) sees only these types. Quantities are exact decimal
strings, never floats.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

# The Entra ID resource of the marketplace APIs; tokens are asked for "<resource>/.default".
AZURE_MARKETPLACE_RESOURCE = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7"
AZURE_MARKETPLACE_SCOPE = f"{AZURE_MARKETPLACE_RESOURCE}/.default"
MAX_EVENTS_PER_CALL = 25


@dataclass(frozen=True, slots=True)
class AzureUsageResult:
    """Azure's verdict on one usage event of a batchUsageEvent call (one entry of ``result``)."""

    status: str  # Accepted, Expired, Duplicate, Error, ResourceNotFound, ResourceNotAuthorized, ...
    usage_event_id: str
    resource_id: str
    plan_id: str
    dimension: str
    quantity: str  # a decimal string, as Azure echoed it
    effective_start_time: str
    error_code: str = ""
    error_message: str = ""
    # For Duplicate: the event Azure accepted earlier for this resource, dimension and hour
    # (``error.additionalInfo.acceptedMessage``), as Azure sent it.
    accepted_message: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AzureSubscription:
    """A SaaS subscription as the fulfillment API describes it."""

    subscription_id: str
    offer_id: str
    plan_id: str
    quantity: int
    status: str  # PendingFulfillmentStart, Subscribed, Suspended, Unsubscribed
    purchaser_tenant_id: str = ""
    beneficiary_tenant_id: str = ""
    name: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)


class AzureApi(Protocol):
    """The Azure Marketplace calls the sidecar makes. Whole-call failures raise RemoteError."""

    async def batch_usage_event(self, events: Sequence[Mapping[str, Any]]) -> Sequence[AzureUsageResult]:
        """POST /api/batchUsageEvent with at most 25 events; one result per event."""
        ...

    async def resolve_subscription(self, marketplace_token: str) -> AzureSubscription:
        """POST /api/saas/subscriptions/resolve with the landing page's token."""
        ...

    async def activate_subscription(self, subscription_id: str, plan_id: str, quantity: int) -> None:
        """POST /api/saas/subscriptions/{id}/activate."""
        ...

    async def get_subscription(self, subscription_id: str) -> AzureSubscription:
        """GET /api/saas/subscriptions/{id}."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...

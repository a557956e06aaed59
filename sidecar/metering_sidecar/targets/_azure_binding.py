"""An Azure SaaS subscription as the sidecar keeps it: Azure's description plus the tenant it is bound to."""

from __future__ import annotations

from dataclasses import dataclass

from metering_sidecar.targets._azure_api import AzureSubscription


@dataclass(frozen=True, slots=True)
class AzureBinding:
    """A stored subscription, the application's tenant it is bound to ('' for none) and when it was resolved."""

    subscription: AzureSubscription
    tenant_id: str
    first_resolved_at: float
    last_resolved_at: float

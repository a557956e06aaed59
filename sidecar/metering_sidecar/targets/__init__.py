"""Marketplace targets: each marketplace's rules for events, frozen records, calls and verdicts."""

from metering_sidecar.targets._azure_api import (
    AZURE_MARKETPLACE_RESOURCE,
    AZURE_MARKETPLACE_SCOPE,
    AzureApi,
    AzureSubscription,
    AzureUsageResult,
)
from metering_sidecar.targets._azure_binding import AzureBinding

__all__ = [
    "AZURE_MARKETPLACE_RESOURCE",
    "AZURE_MARKETPLACE_SCOPE",
    "AzureApi",
    "AzureBinding",
    "AzureSubscription",
    "AzureUsageResult",
]

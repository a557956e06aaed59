"""Onboarding buyers (ResolveCustomer, ResolveAzureSubscription with tenant binding) and checking what they
bought (GetEntitlements, GetAzureSubscription)."""

from metering_sidecar.onboarding._azure import AzureAnswer, AzureOnboarding, AzureRegistry
from metering_sidecar.onboarding._entitlements import Answer, Entitlements, filters_for, is_entitled
from metering_sidecar.onboarding._onboarding import CustomerRegistry, Onboarding

__all__ = [
    "Answer",
    "AzureAnswer",
    "AzureOnboarding",
    "AzureRegistry",
    "CustomerRegistry",
    "Entitlements",
    "Onboarding",
    "filters_for",
    "is_entitled",
]

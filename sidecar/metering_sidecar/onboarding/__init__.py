"""Onboarding buyers (ResolveCustomer with tenant binding) and checking what they bought (GetEntitlements)."""

from metering_sidecar.onboarding._entitlements import Answer, Entitlements, filters_for, is_entitled
from metering_sidecar.onboarding._onboarding import CustomerRegistry, Onboarding

__all__ = ["Answer", "CustomerRegistry", "Entitlements", "Onboarding", "filters_for", "is_entitled"]

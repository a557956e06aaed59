"""The emulated ResolveCustomer and GetEntitlements, with AWS's rules and the same injected faults.

Tokens: a known token resolves once; resolving it again answers ExpiredTokenException, as AWS may
(docs/aws-marketplace.md), so callers must keep results (``expire_resubmitted_tokens=False``: AWS answers the
resubmission instead, which it may also do). The drop fault resolves the token, then closes the
connection unanswered, so a blind resend burns the registration. Entitlements: filters (values of one key OR-ed, keys
AND-ed), MaxResults 1..25, and NextToken paging that can include empty pages which still carry a token.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from metering_sidecar.emulator._model import ApiError, DropConnection, EmulatorSettings, Faults, Stats

FILTER_FIELDS = {
    "CUSTOMER_IDENTIFIER": "CustomerIdentifier",
    "CUSTOMER_AWS_ACCOUNT_ID": "CustomerAWSAccountId",
    "LICENSE_ARN": "LicenseArn",
    "DIMENSION": "Dimension",
}


class OnboardingOperations:
    """Mixed into MeteringState: the onboarding and entitlement operations."""

    settings: EmulatorSettings
    faults: Faults
    stats: Stats
    _lock: threading.Lock
    _resolved: set[str]

    def _inject_call_faults(self) -> None: ...  # provided by MeteringState

    def _roll(self, rate: float) -> bool:  # provided by MeteringState
        raise NotImplementedError

    def add_tokens(self, tokens: Mapping[str, Mapping[str, str]]) -> None:
        """Seed registration tokens."""
        with self._lock:
            for token, customer in tokens.items():
                self.settings.tokens[str(token)] = {str(k): str(v) for k, v in customer.items()}

    def set_entitlements(self, entitlements: Sequence[Mapping[str, Any]]) -> None:
        """Replace the seeded entitlements."""
        if not isinstance(entitlements, list):
            raise ApiError("ValidationException", "entitlements must be a JSON list")
        with self._lock:
            self.settings.entitlements = [dict(e) for e in entitlements]

    def resolve_customer(self, body: Mapping[str, Any], size: int) -> dict[str, Any]:
        """Answer ResolveCustomer for a seeded token."""
        with self._lock:
            self.stats.resolve_calls += 1
            self._inject_call_faults()
            token = body.get("RegistrationToken")
            if not isinstance(token, str) or not token:
                raise ApiError("ValidationException", "RegistrationToken is required")
            resubmitted = token in self._resolved and self.settings.expire_resubmitted_tokens
            if token in self.settings.expired_tokens or resubmitted:
                raise ApiError("ExpiredTokenException", "Registration token is expired")
            customer = self.settings.tokens.get(token)
            if customer is None:
                raise ApiError("InvalidTokenException", "Registration token is invalid")
            self._resolved.add(token)
            if self._roll(self.faults.drop_rate):
                # Resolved, but the caller never hears so: a resend now gets ExpiredTokenException.
                self.stats.dropped += 1
                raise DropConnection()
            return {
                "CustomerIdentifier": customer.get("CustomerIdentifier", ""),
                "CustomerAWSAccountId": customer.get("CustomerAWSAccountId", ""),
                "ProductCode": customer.get("ProductCode", ""),
                "LicenseArn": customer.get("LicenseArn", ""),
            }

    def get_entitlements(self, body: Mapping[str, Any], size: int) -> dict[str, Any]:
        """Answer one page of GetEntitlements."""
        with self._lock:
            self.stats.entitlement_calls += 1
            self._inject_call_faults()
            product = body.get("ProductCode")
            if not isinstance(product, str) or not product:
                raise ApiError("InvalidParameterException", "ProductCode is required")
            limit = int(body.get("MaxResults") or 25)
            if not 1 <= limit <= 25:
                raise ApiError("InvalidParameterException", "MaxResults must be 1..25")
            matches = [
                e for e in self.settings.entitlements if _matches(e, product, body.get("Filter") or {})
            ]
            token = str(body.get("NextToken") or "")
            empty, start = token.startswith("e"), int(token.lstrip("e") or 0)
            if self.settings.empty_pages and start and not empty:
                # An empty page that still carries a token: callers must keep following it.
                return {"Entitlements": [], "NextToken": f"e{start}"}
            page = matches[start : start + limit]
            answer: dict[str, Any] = {"Entitlements": [_wire(e) for e in page]}
            if start + limit < len(matches):
                answer["NextToken"] = str(start + limit)
            return answer


def _matches(entitlement: Mapping[str, Any], product: str, filters: Mapping[str, Sequence[str]]) -> bool:
    if entitlement.get("ProductCode") != product:
        return False
    for key, values in filters.items():
        field = FILTER_FIELDS.get(key)
        if field is None:
            raise ApiError("InvalidParameterException", f"unknown filter {key!r}")
        if entitlement.get(field) not in set(values):
            return False
    return True


def _wire(entitlement: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(entitlement)
    expires = out.get("ExpirationDate")
    if isinstance(expires, int | float):
        out["ExpirationDate"] = dt.datetime.fromtimestamp(expires, tz=dt.UTC)
    return out

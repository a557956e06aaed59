"""The Azure ids the sidecar checks before it stores or sends them, one rule each for every part that takes them
(usage events, activation, subscription lookups).

* A SaaS subscription id is a GUID. It is the only ``resourceId`` the sidecar sends to batchUsageEvent: SaaS
  offers bill the subscription (managed applications' ``resourceUri`` is not supported). Azure's ids are
  case-insensitive; the sidecar keeps them in lower case, so one subscription is one key however the
  application spells it.
* A plan id is what Partner Center accepts for a plan: at most 50 letters, digits, '-' and '_'.
"""

from __future__ import annotations

import re

from metering_sidecar.core import InvalidUsage

SUBSCRIPTION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PLAN_ID = re.compile(r"[A-Za-z0-9_-]{1,50}")
PLAN_ID_RULE = "an Azure plan id: 1 to 50 letters, digits, '-' or '_'"


def subscription_id(value: str, field: str) -> str:
    """Return a SaaS subscription id (a GUID, any case) in lower case, or raise InvalidUsage naming ``field``."""
    normal = value.strip().lower()
    if not SUBSCRIPTION_ID.fullmatch(normal):
        raise InvalidUsage(
            field,
            "must be an Azure SaaS subscription id: a GUID (8-4-4-4-12 hex digits), the resourceId Azure bills "
            f"SaaS usage to; got {value[:64]!r}",
        )
    return normal


def plan_id(value: str, field: str) -> str:
    """Return ``value`` if it is a plan id, or raise InvalidUsage naming ``field``."""
    if not PLAN_ID.fullmatch(value):
        raise InvalidUsage(field, f"must be {PLAN_ID_RULE}, got {value[:64]!r}")
    return value

"""What every store part shares and nothing writes: the settings, the record key, small constants."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from metering_sidecar.targets import TargetRegistry, default_targets

log = logging.getLogger("sidecar.store")

KEY = "product, license_arn, customer_field, customer, dimension, window_start"
CHUNK = 900  # stay under SQLite's host-parameter limit on every build


@dataclass
class StoreSettings:
    """What the store needs to know of the configuration."""

    window_seconds: int
    max_record_age: float
    expiry_margin: float
    max_pending_events: int = 5_000_000
    max_db_bytes: int = 0
    id_retention_seconds: float = 7 * 86400
    audit_retention_seconds: float = 90 * 86400
    ship_from: float = 0.0  # windows starting before this are sealed as 'skipped', never shipped
    commit_delay: float = 0.003  # as --commit-delay-seconds (0: off; see store/_ingest.py)
    # A new database treats the current window as sealed (single mode). Cluster mode sums contributions
    # and rolls late ones forward in the ledger, so a new disk may join the current window there.
    fresh_start_seals_current_window: bool = True

    @property
    def expiry_after(self) -> float:
        """Return how long after its timestamp a record is dead-lettered as expired."""
        return self.max_record_age - self.expiry_margin


def targets_for(settings: StoreSettings, targets: TargetRegistry | None = None) -> TargetRegistry:
    """Return ``targets``, or the default ones with AWS's maximum age and the margin of ``settings``.

    Either way an AWS record expires ``settings.expiry_after`` after its timestamp.
    """
    if targets is None:
        return default_targets(max_record_age=settings.max_record_age, expiry_margin=settings.expiry_margin)
    return targets

"""The emulator's data: errors it answers with, faults, counters and settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class ApiError(Exception):
    """An error answer: AWS's code, message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class DropConnection(Exception):
    """Act on the call (bill it, resolve the token), then close the connection without answering."""


@dataclass
class Faults:
    """Injected faults; rates are probabilities per call (unprocessed: per record).

    drop_rate applies to BatchMeterUsage and ResolveCustomer: the call takes effect, the answer is lost.
    """

    throttle_rate: float = 0.0
    error_rate: float = 0.0
    unprocessed_rate: float = 0.0
    drop_rate: float = 0.0
    outage: bool = False
    disabled: bool = False
    delay_seconds: float = 0.0
    throttle_next: int = 0  # the next N calls (any operation) are throttled: deterministic retries
    # Every call is accepted on TCP and never answered until cleared, then closed unanswered: a hung AWS.
    hang: bool = False
    # The next N BatchMeterUsage answers echo each record with another dimension (billing is unchanged):
    # an answer the caller cannot match to what it sent.
    garble_echo_next: int = 0
    # customer id -> AWS error code: a call holding that customer fails whole with that code.
    poison: dict[str, str] = field(default_factory=dict)

    def update(self, values: Mapping[str, Any]) -> None:
        """Change the named faults."""
        for key, value in values.items():
            if not hasattr(self, key):
                raise ApiError("ValidationException", f"unknown fault {key!r}")
            current = getattr(self, key)
            setattr(self, key, dict(value) if isinstance(current, dict) else type(current)(value))


@dataclass
class BilledRecord:
    """A record AWS accepted."""

    metering_record_id: str
    product_code: str
    license_arn: str
    customer_field: str
    customer: str
    dimension: str
    quantity: int
    timestamp: float
    allocations: list[dict[str, Any]] | None
    canonical: str


@dataclass
class Stats:
    """Counters of what the emulator saw."""

    calls: int = 0
    records_received: int = 0
    success: int = 0
    identical_repeats: int = 0
    duplicate_records: int = 0
    not_subscribed: int = 0
    unprocessed: int = 0
    throttled: int = 0
    errors: int = 0
    dropped: int = 0
    rejected_calls: int = 0
    largest_call: int = 0
    calls_without_product: int = 0
    products_seen: list[str] = field(default_factory=list)
    resolve_calls: int = 0
    entitlement_calls: int = 0
    # wire protocol of each call seen, by operation: "json" (AWS JSON 1.1) or "cbor" (Smithy RPC v2 CBOR)
    protocols: dict[str, str] = field(default_factory=dict)
    hung: int = 0  # calls held by the hang fault (never read, never answered)
    hung_open_peak: int = 0  # most held calls whose callers were still waiting at one time
    # AWS calls (any operation, hung ones included) being served now, and the most at one time
    calls_in_flight: int = 0
    calls_in_flight_peak: int = 0
    # when each AWS call arrived, on the emulator's clock: a caller's pace shows in these
    call_times: list[float] = field(default_factory=list)


@dataclass
class EmulatorSettings:
    """How the emulated service behaves."""

    dedup_seconds: int = 3600
    max_age_seconds: int = 6 * 3600
    future_tolerance_seconds: int = 60
    subscribed: frozenset[str] | None = None  # None: every customer is subscribed
    products: frozenset[str] | None = None  # None: every product code exists
    dimensions: frozenset[str] | None = None  # None: every dimension exists
    seed: int | None = None
    faults: Faults = field(default_factory=Faults)
    # ResolveCustomer: token -> {CustomerAWSAccountId, CustomerIdentifier, ProductCode, LicenseArn}
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    expired_tokens: set[str] = field(default_factory=set)
    # AWS lists a resubmitted token as a cause of ExpiredTokenException; False: it answers again instead.
    expire_resubmitted_tokens: bool = True
    # GetEntitlements: AWS-shaped entitlements (ExpirationDate as epoch seconds)
    entitlements: list[dict[str, Any]] = field(default_factory=list)
    empty_pages: bool = False

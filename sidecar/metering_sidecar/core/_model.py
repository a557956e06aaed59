"""Domain types: plain dataclasses. Protobuf stops at the servicer, boto3 dicts at the adapter."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple

MAX_QUANTITY = 2_147_483_647


class CustomerField(enum.StrEnum):
    """Which field identifies the customer of a record (and so which marketplace bills it)."""

    ACCOUNT_ID = "CustomerAWSAccountId"
    IDENTIFIER = "CustomerIdentifier"
    AZURE_RESOURCE_ID = "AzureResourceId"


class UsageEvent(NamedTuple):
    """One validated usage event, ready to store (a NamedTuple: built once per event on the hot path)."""

    event_id: str
    fingerprint: str
    product_code: str
    license_arn: str
    customer_field: str  # a CustomerField for AWS; each target names its own
    customer: str
    dimension: str
    quantity: int  # in the target's units (Azure: micro-units)
    event_time: float
    tags: tuple[tuple[str, str], ...] = ()
    marketplace: str = "aws"  # the target the customer field belongs to; quantity is in its units


@dataclass(frozen=True, slots=True)
class AppendResult:
    """What an append stored: new events and repeats of known ones."""

    accepted: int
    duplicates: int


class RecordState(enum.StrEnum):
    """Where a sealed record is in its life."""

    PENDING = "pending"
    BILLED = "billed"
    DEAD = "dead"
    SKIPPED = "skipped"  # sealed before --ship-from: recorded, never shipped
    HANDED = "handed"  # cluster mode: in the shared ledger, waiting for the cluster's shipment


@dataclass(frozen=True, slots=True)
class RecordView:
    """A stored record as operators see it."""

    id: int
    state: str
    product_code: str
    license_arn: str
    customer_field: str
    customer: str
    dimension: str
    quantity: int
    timestamp: float
    window_start: float
    metering_record_id: str
    reason: str
    message: str
    attempts: int
    request_json: str
    sealed_at: float
    finished_at: float | None
    event_count: int
    discard_reason: str
    marketplace: str = "aws"
    quantity_scale: int = 0  # ``quantity`` is in units of 10**-quantity_scale (the target's units)


@dataclass(frozen=True, slots=True)
class Record:
    """A sealed, frozen metering record: ``request`` is sent verbatim on every attempt."""

    id: int
    product_code: str
    has_license: bool
    request_json: str
    attempts: int
    expires_at: float
    marketplace: str = "aws"  # the target that encoded it, and that sends it


class Outcome(enum.StrEnum):
    """What became of one record after one shipping attempt."""

    BILLED = "billed"
    DEAD = "dead"
    RETRY = "retry"


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    """The result of one attempt for one record."""

    record_id: int
    outcome: Outcome
    metering_record_id: str = ""
    reason: str = ""
    message: str = ""
    retry_at: float = 0.0


@dataclass(frozen=True, slots=True)
class Status:
    """The store's counters, as GetStatus reports them."""

    pending_events: int
    pending_records: int
    billed_records: int
    dead_letter_records: int
    rolled_forward_events: int
    oldest_pending_event: float | None
    sealed_through: float
    last_shipment: float | None
    open_dead_letter_records: int = 0
    skipped_records: int = 0


@dataclass(frozen=True, slots=True)
class SealResult:
    """What one sealing pass built."""

    records: int
    events: int
    folded_tag_sets: int = 0
    rolled_forward: int = 0


@dataclass(slots=True)
class PassResult:
    """What one flush pass did."""

    sealed_records: int = 0
    billed: int = 0
    dead: int = 0
    retry: int = 0
    more_due: bool = False  # the pass shipped a full page of due records: the next one may start at once


EntitlementValue = int | float | bool | str | None


@dataclass(frozen=True, slots=True)
class Entitlement:
    """One thing a customer bought, as AWS lists it."""

    product_code: str
    dimension: str
    customer_aws_account_id: str = ""
    customer_identifier: str = ""
    license_arn: str = ""
    expiration_date: float | None = None
    value: EntitlementValue = None


@dataclass(frozen=True, slots=True)
class ResolvedCustomer:
    """What ResolveCustomer returned for a registration token."""

    customer_identifier: str
    customer_aws_account_id: str
    product_code: str
    license_arn: str


@dataclass(frozen=True, slots=True)
class Customer:
    """A stored customer and the tenant it is bound to."""

    id: int
    customer_identifier: str
    customer_aws_account_id: str
    product_code: str
    license_arn: str
    tenant_id: str
    first_resolved_at: float
    last_resolved_at: float

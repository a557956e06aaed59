"""Turn a proto UsageEvent into a domain UsageEvent, or say exactly which field breaks which rule (I7).

``to_event`` is the definition of the rules. Ingest checks the most common shape of event on fast
paths of its own (``api/_rows.py`` an event at a time, ``api/_batch_rows.py`` a whole batch at once): a
rule added here for event_id, customer_aws_account_id, dimension, quantity or timestamp must be added
there too (tests/test_ingest_rows.py compares them).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar.api._azure_events import AZURE_MAX_EVENT_AGE_SECONDS, to_azure_event
from metering_sidecar.core import (
    MAX_QUANTITY,
    CustomerField,
    InvalidUsage,
    Refused,
    UsageEvent,
    fingerprint_of_wire,
)

MAX_EVENT_ID = 128
MAX_TAGS = 5
MAX_BATCH = 1000
FUTURE_TOLERANCE_SECONDS = 300.0
# Patterns are used with fullmatch: a "$" anchor would let a trailing newline through.
TAG_TEXT = re.compile(r"[a-zA-Z0-9+ -=._:\/@]+")
PRODUCT_CODE = re.compile(r"[-a-zA-Z0-9/=:_.@]{1,255}")
LICENSE_ARN = re.compile(
    r"arn:aws[a-zA-Z-]*:[A-Za-z0-9][A-Za-z0-9_/.-]{0,62}:[A-Za-z0-9_/.-]{0,63}:"
    r"[A-Za-z0-9_/.-]{0,63}:[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,1023}"
)


@dataclass(frozen=True, slots=True)
class Rules:
    """The configurable part of validation."""

    default_product_code: str = ""
    max_record_age: float = 6 * 3600.0
    allowed_tag_keys: frozenset[str] = frozenset()
    azure: bool = True  # False: Azure is not configured, and Azure events are refused


def fingerprint(event: pb.UsageEvent) -> str:
    """Hash the event exactly as received (deterministic wire form: fields in number order, map keys
    sorted; core/_fingerprint.py). An unset timestamp stays unset, so a retry without one is the same event."""
    return fingerprint_of_wire(event.SerializeToString(deterministic=True))


def to_event(event: pb.UsageEvent, rules: Rules, now: float) -> UsageEvent:
    """Validate ``event`` and return the domain event; raise InvalidUsage naming the field and rule."""
    # Each field is read once: attribute access on protobuf messages is not free, and this runs per event.
    event_id = event.event_id
    if event_id and (len(event_id) > MAX_EVENT_ID or not event_id.isprintable()):
        if len(event_id) > MAX_EVENT_ID:
            raise InvalidUsage("event_id", f"must be at most {MAX_EVENT_ID} characters, got {len(event_id)}")
        raise InvalidUsage("event_id", "must be printable characters")
    if event.azure_resource_id:
        return _azure(event, event_id, rules, now)
    if event.azure_plan_id:
        raise InvalidUsage("azure_plan_id", "is for Azure events, which set azure_resource_id")
    customer_field, customer = _customer(event.customer_aws_account_id, event.customer_identifier)
    license_arn, product_code = event.license_arn, event.product_code
    if license_arn and not LICENSE_ARN.fullmatch(license_arn):
        raise InvalidUsage(
            "license_arn", "must match AWS's license ARN pattern (arn:aws:license-manager:...)"
        )
    if product_code and not PRODUCT_CODE.fullmatch(product_code):
        raise InvalidUsage("product_code", "must be 1-255 characters of letters, digits and -/=:_.@")
    product = product_code or rules.default_product_code
    if not product and not license_arn:
        raise InvalidUsage(
            "product_code",
            "is required: set product_code or license_arn, or start the sidecar with --product-code",
        )
    dimension = event.dimension
    if not 1 <= len(dimension) <= 255:
        raise InvalidUsage("dimension", f"must be 1-255 characters, got {len(dimension)}")
    quantity = event.quantity
    if event.quantity_decimal:
        quantity = _whole(event.quantity_decimal, quantity)
    if not 0 <= quantity <= MAX_QUANTITY:
        raise InvalidUsage("quantity", f"must be between 0 and {MAX_QUANTITY}, got {quantity}")
    event_time = _event_time(event, rules, now)
    tags = _tags(event.tags, rules) if event.tags else ()
    return UsageEvent(
        event_id or str(uuid.uuid4()), fingerprint(event), product, license_arn, customer_field, customer,
        dimension, quantity, event_time, tags,
    )  # fmt: skip


def _azure(event: pb.UsageEvent, event_id: str, rules: Rules, now: float) -> UsageEvent:
    if not rules.azure:
        raise Refused(
            "azure_resource_id: Azure Marketplace is not configured on this sidecar, so its usage could never be "
            "billed; start it with --azure-tenant-id and --azure-client-id (see docs/azure-marketplace.md)"
        )
    event_time = _event_time(event, Rules(max_record_age=AZURE_MAX_EVENT_AGE_SECONDS), now, "Azure")
    return to_azure_event(event, event_id or str(uuid.uuid4()), fingerprint(event), event_time)


def _whole(text: str, quantity: int) -> int:
    # AWS bills whole units: quantity_decimal may carry one ("12"), never a fraction.
    if quantity:
        raise InvalidUsage("quantity_decimal", "set either quantity or quantity_decimal, not both")
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        raise InvalidUsage(
            "quantity_decimal", f"AWS quantities are whole numbers (digits only), got {text[:50]!r}"
        )
    return int(text)


def _customer(account: str, identifier: str) -> tuple[CustomerField, str]:
    if bool(account) == bool(identifier):
        raise InvalidUsage(
            "customer_aws_account_id",
            "exactly one of customer_aws_account_id or customer_identifier is required",
        )
    if account:
        if not (account.isascii() and account.isdigit() and len(account) <= 255):
            raise InvalidUsage("customer_aws_account_id", "must be digits (an AWS account id)")
        return CustomerField.ACCOUNT_ID, account
    if len(identifier) > 255 or not identifier.isprintable():
        raise InvalidUsage("customer_identifier", "must be 1-255 printable characters")
    return CustomerField.IDENTIFIER, identifier


def _event_time(event: pb.UsageEvent, rules: Rules, now: float, marketplace: str = "AWS") -> float:
    if not event.HasField("timestamp"):
        return now
    stamp = event.timestamp
    if not 0 <= stamp.nanos < 1_000_000_000:
        raise InvalidUsage("timestamp", "nanos must be between 0 and 999999999")
    when = stamp.seconds + stamp.nanos / 1e9
    if when > now + FUTURE_TOLERANCE_SECONDS:
        raise InvalidUsage("timestamp", f"must be at most {FUTURE_TOLERANCE_SECONDS:.0f} s in the future")
    if when <= now - rules.max_record_age:
        raise InvalidUsage(
            "timestamp",
            f"must be younger than the maximum record age ({rules.max_record_age:.0f} s): {marketplace} refuses older usage",
        )
    return when


def _tags(given: Mapping[str, str], rules: Rules) -> tuple[tuple[str, str], ...]:
    if len(given) > MAX_TAGS:
        raise InvalidUsage("tags", f"at most {MAX_TAGS} tags per event, got {len(given)}")
    items = sorted(given.items())
    for key, value in items:
        if not (1 <= len(key) <= 100 and TAG_TEXT.fullmatch(key)):
            raise InvalidUsage(
                "tags", f"key {key[:100]!r} must be 1-100 characters of letters, digits and + -=._:/@"
            )
        if not (1 <= len(value) <= 256 and TAG_TEXT.fullmatch(value)):
            raise InvalidUsage(
                "tags", f"value of {key!r} must be 1-256 characters of letters, digits and + -=._:/@"
            )
        if rules.allowed_tag_keys and key not in rules.allowed_tag_keys:
            raise InvalidUsage("tags", f"key {key!r} is not in --allocation-tag-keys")
    return tuple(items)

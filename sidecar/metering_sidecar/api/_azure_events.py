"""Validate an Azure usage event (``azure_resource_id`` set) into a domain event, naming the broken rule.

Azure's quantities may be fractional. They are carried as exact decimals and stored as integer micro-units
(six decimal places): sums are exact, never floats. An event may carry 0; an hour
whose total is 0 is never sent (Azure refuses a quantity of 0).
"""

from __future__ import annotations

from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar.core import CustomerField, InvalidUsage, UsageEvent
from metering_sidecar.targets import micro_units, plan_id, subscription_id

# Azure keeps usage for 24 hours: older events are refused at ingest, as AWS's are after its maximum age.
AZURE_MAX_EVENT_AGE_SECONDS = 24 * 3600.0
AZURE = "azure"
AZURE_UNITS_PER_QUANTITY = 1_000_000  # the store's micro-units (targets: six decimal places)
# One event's quantity: large enough for any real hour, small enough that SQLite's integer sums of a
# key's hour never overflow (9.2e18 micro-units is over nine million events at this maximum).
AZURE_MAX_EVENT_QUANTITY = 1_000_000


def units(text: str, whole: int, *, field: str = "quantity_decimal") -> int:
    """Return the quantity in micro-units from ``quantity_decimal`` text or the integer ``quantity``."""
    if not text:
        if not 0 <= whole <= AZURE_MAX_EVENT_QUANTITY:
            raise InvalidUsage(
                "quantity", f"must be between 0 and {AZURE_MAX_EVENT_QUANTITY} for Azure, got {whole}"
            )
        return whole * AZURE_UNITS_PER_QUANTITY
    if whole:
        raise InvalidUsage(field, "set either quantity or quantity_decimal, not both")
    value = micro_units(text, field)  # the strict grammar: ASCII digits, at most one dot
    if value > AZURE_MAX_EVENT_QUANTITY * AZURE_UNITS_PER_QUANTITY:
        raise InvalidUsage(field, f"must be at most {AZURE_MAX_EVENT_QUANTITY} for Azure, got {text!r}")
    return value


def azure_address(event: pb.UsageEvent) -> tuple[CustomerField, str, str]:
    """Return (customer field, resource id, plan id) of an Azure event, or raise naming the field."""
    resource, plan = event.azure_resource_id, event.azure_plan_id
    if event.customer_aws_account_id or event.customer_identifier:
        raise InvalidUsage(
            "azure_resource_id",
            "exactly one of customer_aws_account_id, customer_identifier or azure_resource_id is required",
        )
    resource = subscription_id(resource, "azure_resource_id")
    if not plan:
        raise InvalidUsage("azure_plan_id", "is required for Azure events (the subscription's plan id)")
    plan_id(plan, "azure_plan_id")
    for name, value in (("product_code", event.product_code), ("license_arn", event.license_arn)):
        if value:
            raise InvalidUsage(name, "is for AWS events; an Azure event has azure_plan_id instead")
    if event.tags:
        raise InvalidUsage("tags", "Azure has no usage allocation tags; send Azure events without tags")
    # In lower case (subscription_id): one subscription is one key, however the application spells it (the
    # subscription registry compares them in lower case too).
    return CustomerField.AZURE_RESOURCE_ID, resource, plan


def to_azure_event(event: pb.UsageEvent, event_id: str, fingerprint: str, event_time: float) -> UsageEvent:
    """Return the domain event of an Azure usage event whose id, fingerprint and time are checked."""
    customer_field, resource, plan = azure_address(event)
    dimension = event.dimension
    if not 1 <= len(dimension) <= 255 or not dimension.isprintable():
        raise InvalidUsage("dimension", f"must be 1-255 printable characters, got {len(dimension)}")
    quantity = units(event.quantity_decimal, event.quantity)
    return UsageEvent(event_id, fingerprint, plan, "", customer_field, resource, dimension, quantity, event_time,
                      (), AZURE)  # fmt: skip

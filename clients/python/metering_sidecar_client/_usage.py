"""What the client sends: a usage event with an event id made once, so every retry is the same event."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from google.protobuf.timestamp_pb2 import Timestamp

from metering_sidecar_client._proto.meteringsidecar.v1 import sidecar_pb2 as pb


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Usage:
    """One usage event. ``event_id`` is generated once, when the Usage is made, and reused on every retry."""

    dimension: str
    quantity: int = 0
    customer_aws_account_id: str = ""
    customer_identifier: str = ""
    license_arn: str = ""
    product_code: str = ""
    timestamp: dt.datetime | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    event_id: str = field(default_factory=_new_id)
    # Azure Marketplace: the SaaS subscription id and its plan, instead of an AWS customer field.
    azure_resource_id: str = ""
    azure_plan_id: str = ""
    # A decimal quantity ("0.25"; Azure keeps six decimal places), instead of ``quantity``.
    quantity_decimal: str = ""

    def to_proto(self) -> pb.UsageEvent:
        """Return the wire message."""
        message = pb.UsageEvent(
            event_id=self.event_id,
            customer_aws_account_id=self.customer_aws_account_id,
            customer_identifier=self.customer_identifier,
            license_arn=self.license_arn,
            product_code=self.product_code,
            dimension=self.dimension,
            quantity=self.quantity,
            tags=dict(self.tags),
            azure_resource_id=self.azure_resource_id,
            azure_plan_id=self.azure_plan_id,
            quantity_decimal=self.quantity_decimal,
        )
        if self.timestamp is not None:
            stamp = Timestamp()
            stamp.FromDatetime(self.timestamp.astimezone(dt.UTC))
            message.timestamp.CopyFrom(stamp)
        return message

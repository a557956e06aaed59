"""Operator RPCs: export records, list, discard and retry dead letters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar.api._errors import map_errors
from metering_sidecar.core import CustomerField, InvalidUsage, RecordState, RecordView
from metering_sidecar.shipping import DeadLetters
from metering_sidecar.store import Store

Context = grpc.aio.ServicerContext[Any, Any]
MAX_PAGE = 1000
DEFAULT_PAGE = 500


def timestamp_pb(seconds: float | None) -> Timestamp | None:
    """Return a protobuf Timestamp, or None for None."""
    if seconds is None:
        return None
    stamp = Timestamp()
    stamp.FromNanoseconds(round(seconds * 1e9))
    return stamp


def record_pb(view: RecordView) -> pb.MeteringRecord:
    """Convert a stored record to its proto.

    The store keeps a quantity in its target's units (Azure: micro-units); the proto carries the total
    exactly in ``quantity_decimal``, and its whole units (rounded down) in ``quantity``.
    """
    account = view.customer if view.customer_field == CustomerField.ACCOUNT_ID else ""
    resource = view.customer if view.customer_field == CustomerField.AZURE_RESOURCE_ID else ""
    total = Decimal(view.quantity).scaleb(-view.quantity_scale)
    return pb.MeteringRecord(
        id=view.id, state=view.state, product_code=view.product_code, license_arn=view.license_arn,
        customer_aws_account_id=account, customer_identifier="" if account or resource else view.customer,
        marketplace=view.marketplace, azure_resource_id=resource, quantity_decimal=format(total.normalize(), "f"),
        dimension=view.dimension, quantity=int(total), timestamp=timestamp_pb(view.timestamp),
        window_start=timestamp_pb(view.window_start), metering_record_id=view.metering_record_id,
        reason=view.reason, message=view.message, attempts=view.attempts, request_json=view.request_json,
        sealed_at=timestamp_pb(view.sealed_at), finished_at=timestamp_pb(view.finished_at),
        event_count=view.event_count, discard_reason=view.discard_reason,
    )  # fmt: skip


def page(size: int, token: str) -> tuple[int, int]:
    if not 0 <= size <= MAX_PAGE:
        raise InvalidUsage("page_size", f"must be between 0 and {MAX_PAGE}, got {size}")
    if token and not token.isdigit():
        raise InvalidUsage("page_token", "is not a token from a previous page")
    return size or DEFAULT_PAGE, int(token or 0)


def next_token(ids: list[int], size: int) -> str:
    """Return the token for the page after one that ended at ``ids[-1]`` (empty on the last page)."""
    return str(ids[-1]) if len(ids) == size else ""


class OperatorServicer:
    """Mixed into the servicer: the RPCs behind `records export` and `dead-letters`."""

    store: Store
    dead_letters: DeadLetters

    @map_errors
    async def ListRecords(self, request: pb.ListRecordsRequest, context: Context) -> pb.ListRecordsResponse:
        """Page through records, for reconciliation."""
        size, after = page(request.page_size, request.page_token)
        if request.state and request.state not in set(RecordState):
            raise InvalidUsage("state", f"must be one of {', '.join(RecordState)}, got {request.state!r}")
        since = request.since.ToNanoseconds() / 1e9 if request.HasField("since") else None
        records = await self.store.list_records(since=since, state=request.state, after_id=after, limit=size)
        return pb.ListRecordsResponse(
            records=[record_pb(r) for r in records], next_page_token=next_token([r.id for r in records], size)
        )

    @map_errors
    async def ListDeadLetters(
        self, request: pb.ListDeadLettersRequest, context: Context
    ) -> pb.ListDeadLettersResponse:
        """Page through dead letters."""
        size, after = page(request.page_size, request.page_token)
        records = await self.dead_letters.list(
            include_discarded=request.include_discarded, after_id=after, limit=size
        )
        return pb.ListDeadLettersResponse(
            records=[record_pb(r) for r in records], next_page_token=next_token([r.id for r in records], size)
        )

    @map_errors
    async def DiscardDeadLetter(
        self, request: pb.DiscardDeadLetterRequest, context: Context
    ) -> pb.DiscardDeadLetterResponse:
        """Close a dead letter with the operator's reason."""
        return pb.DiscardDeadLetterResponse(
            record=record_pb(await self.dead_letters.discard(request.id, request.reason))
        )

    @map_errors
    async def RetryDeadLetter(
        self, request: pb.RetryDeadLetterRequest, context: Context
    ) -> pb.RetryDeadLetterResponse:
        """Send a dead letter again while AWS would still accept it."""
        return pb.RetryDeadLetterResponse(record=record_pb(await self.dead_letters.retry(request.id)))

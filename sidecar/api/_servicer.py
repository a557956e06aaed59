"""The MeteringSidecar servicer: proto in, domain call, proto out. No SQL, no boto3."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from sidecar.api._errors import map_errors
from sidecar.api._validation import MAX_BATCH, Rules, to_event
from sidecar.clock import Clock
from sidecar.errors import InvalidUsage
from sidecar.flusher import Flusher
from sidecar.model import UsageEvent
from sidecar.store import Store

Context = grpc.aio.ServicerContext[Any, Any]


def _timestamp(seconds: float | None) -> Timestamp | None:
    if seconds is None:
        return None
    stamp = Timestamp()
    stamp.FromNanoseconds(round(seconds * 1e9))
    return stamp


class MeteringServicer(pb_grpc.MeteringSidecarServicer):
    """Implements meteringsidecar.v1.MeteringSidecar."""

    def __init__(self, store: Store, flusher: Flusher, rules: Rules, clock: Clock) -> None:
        self.store = store
        self.flusher = flusher
        self.rules = rules
        self.clock = clock

    @map_errors
    async def RecordUsage(self, request: pb.RecordUsageRequest, context: Context) -> pb.RecordUsageResponse:
        """Store one event durably (I1), once per event_id (I8)."""
        if not request.HasField("event"):
            raise InvalidUsage("event", "is required")
        event = to_event(request.event, self.rules, self.clock.now())
        result = await self.store.append([event])
        return pb.RecordUsageResponse(duplicate=result.duplicates > 0, event_id=event.event_id)

    @map_errors
    async def RecordUsageBatch(
        self, request: pb.RecordUsageBatchRequest, context: Context
    ) -> pb.RecordUsageBatchResponse:
        """Store up to 1000 events, all or nothing."""
        if len(request.events) > MAX_BATCH:
            raise InvalidUsage("events", f"at most {MAX_BATCH} events per batch, got {len(request.events)}")
        now = self.clock.now()
        events: list[UsageEvent] = []
        for index, message in enumerate(request.events):
            try:
                events.append(to_event(message, self.rules, now))
            except InvalidUsage as exc:
                raise exc.at(index) from None
        if not events:
            return pb.RecordUsageBatchResponse()
        result = await self.store.append(events)
        return pb.RecordUsageBatchResponse(accepted=result.accepted, duplicates=result.duplicates)

    @map_errors
    async def GetStatus(self, request: pb.GetStatusRequest, context: Context) -> pb.GetStatusResponse:
        """Report the buffer and billing counters."""
        status = await self.store.status()
        return pb.GetStatusResponse(
            pending_events=status.pending_events,
            dead_letter_records=status.dead_letter_records,
            billed_records=status.billed_records,
            rolled_forward_events=status.rolled_forward_events,
            oldest_pending_event=_timestamp(status.oldest_pending_event),
            pending_records=status.pending_records,
            sealed_through=_timestamp(status.sealed_through),
            last_shipment=_timestamp(status.last_shipment),
            shipping_error=self.flusher.shipper.disabled_reason,
        )

    @map_errors
    async def Flush(self, request: pb.FlushRequest, context: Context) -> pb.FlushResponse:
        """Seal closed windows and make one shipping attempt for every due record."""
        result = await self.flusher.flush()
        return pb.FlushResponse(
            sealed_records=result.sealed_records,
            billed_records=result.billed,
            dead_letter_records=result.dead,
            retry_records=result.retry,
        )

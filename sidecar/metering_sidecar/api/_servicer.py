"""The MeteringSidecar servicer: proto in, domain call, proto out. No SQL, no boto3."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import grpc

from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.api._azure import AzureServicer
from metering_sidecar.api._batch_rows import batch_rows
from metering_sidecar.api._errors import map_errors, status_for
from metering_sidecar.api._onboarding import OnboardingServicer
from metering_sidecar.api._operator import OperatorServicer, timestamp_pb
from metering_sidecar.api._rows import to_rows
from metering_sidecar.api._validation import MAX_BATCH, Rules
from metering_sidecar.core import AppendResult, Clock, InvalidUsage, SidecarError
from metering_sidecar.onboarding import AzureOnboarding, Entitlements, Onboarding
from metering_sidecar.shipping import DeadLetters, Flusher, Shipping
from metering_sidecar.store import EventRow, Store

Context = grpc.aio.ServicerContext[Any, Any]
IngestObserver = Callable[[str, str, int, float], None]
_RESULTS = {
    grpc.StatusCode.INVALID_ARGUMENT: "invalid",
    grpc.StatusCode.ALREADY_EXISTS: "conflict",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "exhausted",
}


def _ignore(rpc: str, result: str, events: int, seconds: float) -> None:
    pass


def shipping_error(shipping: Shipping) -> str:
    """Return GetStatus.shipping_error: a marketplace that refuses calls first, then failing calls."""
    return "; ".join(reason for reason in (shipping.disabled_reason, shipping.last_error) if reason)


class MeteringServicer(OperatorServicer, OnboardingServicer, AzureServicer, pb_grpc.MeteringSidecarServicer):
    """Implements meteringsidecar.v1.MeteringSidecar."""

    def __init__(
        self,
        store: Store,
        flusher: Flusher,
        rules: Rules,
        clock: Clock,
        onboarding: Onboarding,
        entitlements: Entitlements,
        observe: IngestObserver = _ignore,
        *,
        dead_letters: DeadLetters | None = None,
        azure: AzureOnboarding | None = None,
    ) -> None:
        self.store = store
        self.dead_letters = dead_letters or DeadLetters(store, clock)
        self.onboarding = onboarding
        self.azure = azure  # None: Azure is not configured, and its RPCs answer FAILED_PRECONDITION
        self.entitlements = entitlements
        self.flusher = flusher
        self.rules = rules
        self.clock = clock
        self.observe = observe

    async def _ingest(
        self, rpc: str, count: int, build: Callable[[float, int], Sequence[EventRow]]
    ) -> tuple[Sequence[EventRow], AppendResult]:
        """Validate and store, counting the outcome and the time to a durable answer."""
        started = time.monotonic()
        try:
            rows = build(self.clock.now(), self.store.settings.window_seconds)
            result = await self.store.append_rows(rows) if rows else AppendResult(0, 0)
        except SidecarError as exc:
            self.observe(rpc, _RESULTS.get(status_for(exc), "unavailable"), count, time.monotonic() - started)
            raise
        self.observe(rpc, "accepted", result.accepted, time.monotonic() - started)
        if result.duplicates:
            self.observe(rpc, "duplicate", result.duplicates, 0.0)
        return rows, result

    @map_errors
    async def RecordUsage(self, request: pb.RecordUsageRequest, context: Context) -> pb.RecordUsageResponse:
        """Store one event durably (I1), once per event_id (I8)."""

        def build(now: float, window_seconds: int) -> list[EventRow]:
            if not request.HasField("event"):
                raise InvalidUsage("event", "is required")
            return to_rows((request.event,), self.rules, now, window_seconds, located=False)

        [row], result = await self._ingest("RecordUsage", 1, build)
        return pb.RecordUsageResponse(duplicate=result.duplicates > 0, event_id=row[0])

    @map_errors
    async def RecordUsageBatch(
        self, request: pb.RecordUsageBatchRequest, context: Context
    ) -> pb.RecordUsageBatchResponse:
        """Store up to 1000 events, all or nothing."""

        def build(now: float, window_seconds: int) -> Sequence[EventRow]:
            events = request.events
            if len(events) > MAX_BATCH:
                raise InvalidUsage("events", f"at most {MAX_BATCH} events per batch, got {len(events)}")
            return batch_rows(request, self.rules, now, window_seconds)

        _, result = await self._ingest("RecordUsageBatch", len(request.events), build)
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
            oldest_pending_event=timestamp_pb(status.oldest_pending_event),
            pending_records=status.pending_records,
            sealed_through=timestamp_pb(status.sealed_through),
            last_shipment=timestamp_pb(status.last_shipment),
            shipping_error=shipping_error(self.flusher.shipper),
            open_dead_letter_records=status.open_dead_letter_records,
            skipped_records=status.skipped_records,
        )

    @map_errors
    async def Flush(self, request: pb.FlushRequest, context: Context) -> pb.FlushResponse:
        """Seal closed windows and make one shipping attempt now for every pending record, backoff or not."""
        result = await self.flusher.flush(retry_now=True)
        return pb.FlushResponse(
            sealed_records=result.sealed_records,
            billed_records=result.billed,
            dead_letter_records=result.dead,
            retry_records=result.retry,
        )

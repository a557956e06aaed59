"""Batching, retries and result handling for BatchMeterUsage."""

from metering_sidecar.shipping._batching import MAX_CALL_BYTES, MAX_RECORDS_PER_CALL, Call, plan_calls
from metering_sidecar.shipping._dead_letters import ClusterRetry, DeadLetters
from metering_sidecar.shipping._flusher import Flusher, Shipping
from metering_sidecar.shipping._pacing import Pacer
from metering_sidecar.shipping._shipper import Backoff, Shipper

__all__ = [
    "MAX_CALL_BYTES",
    "MAX_RECORDS_PER_CALL",
    "Backoff",
    "Call",
    "ClusterRetry",
    "DeadLetters",
    "Flusher",
    "Pacer",
    "Shipper",
    "Shipping",
    "plan_calls",
]

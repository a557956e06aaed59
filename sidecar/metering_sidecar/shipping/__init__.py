"""Shipping: the flusher's loops, and the shipper that sends due records through their targets."""

from metering_sidecar.shipping._dead_letters import ClusterRetry, DeadLetters
from metering_sidecar.shipping._flusher import Flusher, Shipping
from metering_sidecar.shipping._pacing import Pacer
from metering_sidecar.shipping._shipper import Backoff, Shipper

# AWS's call plan moved to the AWS target; kept here under its old names.
from metering_sidecar.targets import MAX_CALL_BYTES, MAX_RECORDS_PER_CALL, plan_calls
from metering_sidecar.targets import AwsCall as Call

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

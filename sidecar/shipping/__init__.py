"""Batching, retries and result handling for BatchMeterUsage."""

from sidecar.shipping._batching import MAX_CALL_BYTES, MAX_RECORDS_PER_CALL, Call, plan_calls
from sidecar.shipping._shipper import Backoff, Shipper

__all__ = ["MAX_CALL_BYTES", "MAX_RECORDS_PER_CALL", "Backoff", "Call", "Shipper", "plan_calls"]

"""Python client for metering-sidecar.

Every event gets a stable ``event_id`` when it is made; UNAVAILABLE, DEADLINE_EXCEEDED and
RESOURCE_EXHAUSTED are retried with backoff reusing that id, so a retry never bills twice.
"""

from metering_sidecar_client._batcher import AsyncBatcher, Batcher, plan
from metering_sidecar_client._client import AsyncMeteringClient, MeteringClient
from metering_sidecar_client._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar_client._retry import RETRYABLE, is_retryable
from metering_sidecar_client._usage import Usage

__all__ = [
    "RETRYABLE",
    "AsyncBatcher",
    "AsyncMeteringClient",
    "Batcher",
    "MeteringClient",
    "Usage",
    "is_retryable",
    "pb",
    "plan",
]

"""Operations: readiness and liveness, Prometheus metrics, and the HTTP server for probes and metrics."""

from metering_sidecar.ops._health import Health
from metering_sidecar.ops._metrics import Metrics
from metering_sidecar.ops._probes import ProbeServer

__all__ = ["Health", "Metrics", "ProbeServer"]

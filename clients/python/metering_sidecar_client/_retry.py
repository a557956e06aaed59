"""Which failures are retried, and the shared connection settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc

# Retrying these with the same event_id is safe: the sidecar counts an event_id once.
RETRYABLE = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED}
)
DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # the sidecar's default --max-message-bytes


def is_retryable(exc: Exception) -> bool:
    """Return True for gRPC errors worth another attempt with the same event ids."""
    return isinstance(exc, grpc.RpcError) and exc.code() in RETRYABLE


@dataclass(frozen=True)
class Settings:
    """How a client talks to the sidecar."""

    target: str = "127.0.0.1:50051"
    timeout: float = 5.0  # the deadline of each attempt
    retry_budget: float = 60.0  # total time spent retrying one call
    token: str = ""

    @classmethod
    def build(
        cls, target: str, *, timeout: float, retry_budget: float, token: str | None, token_file: str | None
    ) -> Settings:
        """Build settings, reading the token file when given."""
        if token_file:
            token = Path(token_file).read_text().strip()
        return cls(target=target, timeout=timeout, retry_budget=retry_budget, token=token or "")

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """Return call metadata (the bearer token, when set)."""
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()

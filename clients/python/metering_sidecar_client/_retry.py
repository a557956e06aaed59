"""Which failures are retried, one call's limits, and the shared connection settings."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import stamina

# Retrying these with the same event_id is safe: the sidecar counts an event_id once. CANCELLED and
# DEADLINE_EXCEEDED arrive as RpcErrors only when the server sent them (a sidecar shutting down) or an
# attempt's own deadline passed; the caller's own cancellation (asyncio's CancelledError) and its
# call deadline (Call.should_retry) end the call and are never retried.
RETRYABLE = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.DEADLINE_EXCEEDED,
    }
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


@dataclass
class Call:
    """One call's limits: the caller's deadline (seconds, retries included) within the retry budget."""

    settings: Settings
    deadline: float | None = None
    end: float | None = field(init=False, default=None)
    _bound_by_caller: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        if self.deadline is not None:
            self.end = time.monotonic() + self.deadline

    def attempt_timeout(self) -> float:
        """The next attempt's deadline: the per-attempt timeout, cut to what the caller has left."""
        if self.end is None:
            return self.settings.timeout
        remaining = self.end - time.monotonic()
        self._bound_by_caller = remaining <= self.settings.timeout
        return max(0.0, min(self.settings.timeout, remaining))

    def should_retry(self, exc: Exception) -> bool:
        """Retry a retryable failure unless the caller's own deadline is what ended it."""
        if not is_retryable(exc):
            return False
        if self.end is None:
            return True
        timed_out = isinstance(exc, grpc.RpcError) and exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        return not (timed_out and self._bound_by_caller) and time.monotonic() < self.end

    def retrying(self) -> Any:
        """stamina's retry loop: capped exponential backoff with jitter, within budget and deadline."""
        budget = self.settings.retry_budget
        if self.end is not None:
            budget = max(0.0, min(budget, self.end - time.monotonic()))
        return stamina.retry_context(
            on=self.should_retry, attempts=None, timeout=budget, wait_initial=0.05, wait_max=2.0
        )

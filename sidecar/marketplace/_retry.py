"""Call-level retries for the RPCs that front AWS (ResolveCustomer, GetEntitlements), with stamina.

stamina gives capped exponential backoff with jitter and a total time budget, and tests switch its
waiting off with ``stamina.set_testing``. The budget is the caller's gRPC deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import stamina

from sidecar.errors import RemoteError

T = TypeVar("T")
DEFAULT_BUDGET_SECONDS = 20.0


def _retryable(exc: Exception) -> bool:
    return isinstance(exc, RemoteError) and exc.retryable


async def with_retries(
    call: Callable[[], Awaitable[T]], *, within: float | None, attempts: int | None = None
) -> T:
    """Run ``call``, retrying retryable RemoteErrors until ``within`` seconds (or ``attempts``) are spent."""
    budget = DEFAULT_BUDGET_SECONDS if within is None else max(0.05, within)
    try:
        async with asyncio.timeout(budget):
            async for attempt in stamina.retry_context(
                on=_retryable, attempts=attempts, timeout=budget, wait_initial=0.1, wait_max=2.0
            ):
                with attempt:
                    return await call()
    except TimeoutError:
        raise RemoteError(
            "DeadlineExceeded", "AWS did not answer within the caller's deadline", retryable=True
        ) from None
    raise AssertionError("unreachable: stamina either returns or raises")

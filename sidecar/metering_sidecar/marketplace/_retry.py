"""Call-level retries for the RPCs that front AWS (ResolveCustomer, GetEntitlements), with stamina.

stamina gives capped exponential backoff with jitter and a total time budget, and tests switch its
waiting off with ``stamina.set_testing``. The budget is the caller's gRPC deadline.

Idempotent calls (GetEntitlements) retry every retryable error. A call that must reach AWS at most
once (ResolveCustomer: AWS may refuse a resubmitted token) passes ``only_unprocessed=True`` and is
retried only when AWS surely did not act on it: an answer that says so (throttling, 5xx) or a
request that was never sent. Anything that may have landed (a read timeout, a reset after sending,
a passed deadline) ends the retries with ``outcome_unknown`` set.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import stamina

from metering_sidecar.core import RemoteError

T = TypeVar("T")
DEFAULT_BUDGET_SECONDS = 20.0


def _retryable(exc: Exception) -> bool:
    return isinstance(exc, RemoteError) and exc.retryable


# AWS's own answers that say it did not act on the call. A bare 5xx (a 502 or 504 from a proxy on the
# way) may come after AWS acted, so it is not in here.
NOT_PROCESSED_CODES = frozenset(
    {
        "ThrottlingException",
        "InternalServiceErrorException",
        "ServiceUnavailableException",
        "TooManyRequestsException",
    }
)

# Failures before anything was sent (the adapter's codes): nothing listening, no credentials, no slot.
NEVER_SENT_CODES = frozenset(
    {
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ProxyConnectionError",
        "TooManyCallsInFlight",
        "ThreadStartFailed",
        "NoCredentialsError",
        "PartialCredentialsError",
        "CredentialRetrievalError",
        "TokenRetrievalError",
        "ProfileNotFound",
    }
)


def _not_processed(exc: Exception) -> bool:
    if not isinstance(exc, RemoteError) or not exc.retryable or exc.outcome_unknown:
        return False
    # AWS said so, or the request never left this process.
    return exc.code in NOT_PROCESSED_CODES or exc.code in NEVER_SENT_CODES


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    within: float | None,
    attempts: int | None = None,
    only_unprocessed: bool = False,
) -> T:
    """Run ``call``, retrying retryable RemoteErrors until ``within`` seconds (or ``attempts``) are spent."""
    budget = DEFAULT_BUDGET_SECONDS if within is None else max(0.05, within)
    in_call = False
    try:
        async with asyncio.timeout(budget):
            async for attempt in stamina.retry_context(
                on=_not_processed if only_unprocessed else _retryable,
                attempts=attempts,
                timeout=budget,
                wait_initial=0.1,
                wait_max=2.0,
            ):
                with attempt:
                    in_call = True
                    try:
                        return await call()
                    except Exception:
                        # Answered (with an error): a timeout from here on hits the backoff, not a call.
                        in_call = False
                        raise
    except TimeoutError:
        raise RemoteError(
            "DeadlineExceeded",
            "AWS did not answer within the caller's deadline",
            retryable=True,
            outcome_unknown=in_call,
        ) from None
    raise AssertionError("unreachable: stamina either returns or raises")

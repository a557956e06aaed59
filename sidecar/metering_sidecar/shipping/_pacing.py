"""The pace of a shipping pass, per marketplace: at most N calls in flight, at most R calls started in any second.

AWS meters BatchMeterUsage per account and region (10 calls a second by default); Azure's batchUsageEvent has
quotas of its own. A backlog (a 100,000-key hour is 4,000 calls, an outage leaves more) ships in minutes only
with several calls in flight, and without a pace of its own the sidecar would spend its quota on throttled
calls. Each marketplace has its own lane: its own rate limiter and its own ``--ship-concurrency`` calls in
flight, so an Azure 429 never slows AWS down, Azure never spends AWS's quota, and a hung marketplace holds
only its own slots.

The rate is a bucket of ``k`` tokens (``k`` = the rate rounded down, at least 1): a call start takes one
and it comes back one second later (``1 / rate`` seconds for rates under 1). So no second ever sees more
than ``k`` starts, and a pass that waited on its slots keeps the tokens it did not use.

Throttling answers slow the pace down: AIMD, as TCP does. A call the marketplace refused as too fast (the
target says so: ``CallResult.throttled``) halves that marketplace's rate (at most once per
``CUT_GAP_SECONDS``, since the calls in flight when it started refusing come back throttled too), down to a
sixteenth of the configured rate; every call it answered without throttling gives back a tenth of it.
Throttled records also wait out their own backoff before they are sent again.

The order in which calls start or finish does not matter: the calls of one pass hold disjoint records.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any, TypeVar

from metering_sidecar.core import Clock, Outcome
from metering_sidecar.targets import CallResult

log = logging.getLogger("sidecar.shipping")

DEFAULT_CONCURRENCY = 4
DEFAULT_RATE_PER_SECOND = 10.0
CUT_GAP_SECONDS = 2.0
FLOOR_FRACTION = 1 / 16
STEP_FRACTION = 1 / 10

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


class _Monotonic:
    """The default clock of the pace: monotonic, since wall-clock jumps must not stall or rush it."""

    def now(self) -> float:
        return time.monotonic()


class RateLimiter:
    """At most ``rate`` call starts in any second, slowed down by throttling (see the module's text)."""

    def __init__(
        self, rate: float, *, clock: Clock | None = None, sleep: Sleep = asyncio.sleep, marketplace: str = ""
    ) -> None:
        if not 0 < rate < math.inf:
            raise ValueError(f"the rate must be a number above 0, got {rate!r}")
        self.marketplace = marketplace
        self.ceiling = rate
        self.rate = rate
        self.clock: Clock = clock or _Monotonic()
        self._sleep = sleep
        self._starts: deque[float] = deque()  # the starts whose tokens have not come back yet
        self._last_cut = -math.inf

    def _bucket(self) -> tuple[int, float]:
        """Return the number of tokens and how long a spent one takes to come back."""
        return max(1, math.floor(self.rate)), max(1.0, 1.0 / self.rate)

    async def acquire(self) -> None:
        """Wait for a token, then spend it: the caller starts a call now."""
        while True:
            tokens, period = self._bucket()
            now = self.clock.now()
            while self._starts and now - self._starts[0] >= period:
                self._starts.popleft()
            if len(self._starts) < tokens:
                self._starts.append(now)
                return
            # The token spent ``tokens`` starts ago comes back first (when the rate fell, older ones are
            # already back). A float rounding that leaves it a hair short costs one more tiny wait.
            back_at = self._starts[-tokens] + period
            await self._sleep(max(back_at - now, 1e-6))

    def throttled(self) -> None:
        """A call came back throttled: halve the rate, unless it was cut a moment ago."""
        now = self.clock.now()
        if now - self._last_cut < CUT_GAP_SECONDS:
            return
        self._last_cut = now
        before, self.rate = self.rate, max(self.ceiling * FLOOR_FRACTION, self.rate / 2)
        if before == self.ceiling:
            log.warning(
                "the marketplace throttles shipping calls; the sidecar slows down and speeds up again as "
                "calls go through (is another sidecar or integration sharing this account's quota?)",
                extra={"fields": {"marketplace": self.marketplace, "calls_per_second": round(self.rate, 3),
                                  "configured": self.ceiling}},
            )  # fmt: skip

    def answered(self) -> None:
        """A call was answered without throttling: give back a tenth of the configured rate."""
        if self.rate < self.ceiling:
            self.rate = min(self.ceiling, self.rate + self.ceiling * STEP_FRACTION)
            if self.rate == self.ceiling:
                log.info("shipping is back at its configured pace",
                         extra={"fields": {"marketplace": self.marketplace, "calls_per_second": self.ceiling}})  # fmt: skip


class Pacer:
    """Runs a pass's calls in one lane per marketplace: each with at most ``concurrency`` calls in flight,
    started at the pace of that marketplace's own rate limiter (``rate`` calls a second, slowed by its
    throttling)."""

    def __init__(
        self,
        concurrency: int = DEFAULT_CONCURRENCY,
        rate: float = DEFAULT_RATE_PER_SECOND,
        *,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"the concurrency must be at least 1, got {concurrency!r}")
        RateLimiter(rate)  # refuses a nonsense rate now, not at the first call
        self.concurrency = concurrency
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._limiters: dict[str, RateLimiter] = {}
        self._in_flight: dict[str, int] = {}
        self.started = 0  # calls started, all passes and marketplaces together
        self.peak_in_flight = 0  # the most calls one marketplace had in flight at once

    def limiter(self, marketplace: str) -> RateLimiter:
        """Return the rate limiter of ``marketplace`` (made at its first call, at the configured rate)."""
        limiter = self._limiters.get(marketplace)
        if limiter is None:
            limiter = RateLimiter(self.rate, clock=self._clock, sleep=self._sleep, marketplace=marketplace)
            self._limiters[marketplace] = limiter
        return limiter

    def answered(self, marketplace: str, answer: CallResult) -> None:
        """Tell the marketplace's limiter how a call went: throttled, answered, or neither (no answer at all)."""
        if answer.throttled:
            self.limiter(marketplace).throttled()
        elif any(v.outcome is not Outcome.RETRY for v in answer.verdicts):
            self.limiter(marketplace).answered()

    async def run(
        self,
        lanes: Mapping[str, Iterable[T]],
        ship: Callable[[T], Coroutine[Any, Any, None]],
        stop: Callable[[str], bool],
    ) -> None:
        """Start ``ship(call)`` for each marketplace's calls in turn, each marketplace paced on its own and
        side by side with the others, until ``stop(marketplace)`` says no more of its calls should start.

        Calls already in flight always finish. If one raises, no further call starts in any lane and the
        first error is raised once the others have finished. Cancelled, it cancels the calls in flight.
        """
        errors: list[BaseException] = []
        ended = await asyncio.gather(
            *(self._lane(marketplace, calls, ship, stop, errors) for marketplace, calls in lanes.items()),
            return_exceptions=True,
        )
        failures = errors + [e for e in ended if isinstance(e, BaseException)]
        if failures:
            raise failures[0]

    async def _lane(
        self,
        marketplace: str,
        calls: Iterable[T],
        ship: Callable[[T], Coroutine[Any, Any, None]],
        stop: Callable[[str], bool],
        errors: list[BaseException],
    ) -> None:
        """One marketplace's calls: its own slots and limiter; ``errors`` is shared by every lane."""
        slots = asyncio.Semaphore(self.concurrency)
        limiter = self.limiter(marketplace)
        running: set[asyncio.Task[None]] = set()

        def finished(task: asyncio.Task[None]) -> None:
            running.discard(task)
            self._in_flight[marketplace] -= 1
            slots.release()
            error = None if task.cancelled() else task.exception()
            if error is not None:
                errors.append(error)

        try:
            for call in calls:
                await slots.acquire()
                if not (errors or stop(marketplace)):
                    await limiter.acquire()
                if errors or stop(marketplace):  # asked again: a call that ended meanwhile may have said stop
                    slots.release()
                    break
                self.started += 1
                self._in_flight[marketplace] = self._in_flight.get(marketplace, 0) + 1
                self.peak_in_flight = max(self.peak_in_flight, self._in_flight[marketplace])
                task = asyncio.create_task(ship(call))
                running.add(task)
                task.add_done_callback(finished)
            if running:
                await asyncio.wait(set(running))
        except BaseException as exc:
            if not isinstance(exc, asyncio.CancelledError):
                errors.append(exc)  # the other lanes start nothing more either
            for task in running:
                task.cancel()
            if running:
                await asyncio.wait(set(running))
            raise

"""The flusher: two loops that never wait on each other and never die (I11).

The sealing loop seals closed windows, expires records about to pass their marketplace's maximum age and prunes;
it touches only SQLite, so it keeps going whatever AWS or PostgreSQL do. The shipping loop hands sealed
records to the shipper (AWS in single mode, the shared ledger in cluster mode); its calls are bounded
by deadlines, so a hung endpoint delays shipping and nothing else. Any exception in a pass is logged
with its type, counted, and retried with backoff; only a loop that stops beating fails liveness.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from metering_sidecar.core import Clock, Outcome, PassResult, RecordOutcome
from metering_sidecar.store import Store

log = logging.getLogger("sidecar.flusher")
PRUNE_EVERY_SECONDS = 600.0
MAX_FAILURE_BACKOFF_SECONDS = 60.0
# Sealing touches only SQLite: a pass that has not finished in this long (sealing a million events
# takes seconds) means the loop is wedged, and a container restart is the cure.
MIN_STALL_SECONDS = 300.0

PassObserver = Callable[[PassResult], Awaitable[None]]
FailureObserver = Callable[[str, BaseException], None]
OutcomeObserver = Callable[[RecordOutcome], None]


class Shipping(Protocol):
    """What a flusher pass hands sealed records to: the AWS shipper, or cluster mode's hand-over."""

    @property
    def disabled_reason(self) -> str:
        """Why a marketplace refuses calls for now (shipping to it is paused; metrics say disabled)."""
        ...

    @property
    def last_error(self) -> str:
        """Why the latest calls failed, by marketplace, while they do (shipping goes on)."""
        ...

    async def ship_due(self, now: float, result: PassResult, *, retry_now: bool = False) -> None: ...


async def _ignore(result: PassResult) -> None:
    pass


def _ignore_failure(loop: str, error: BaseException) -> None:
    pass


def _ignore_outcome(outcome: RecordOutcome) -> None:
    pass


class Flusher:
    """``run()`` keeps both loops going until ``stop()``; ``flush()`` seals and ships once now."""

    def __init__(
        self,
        store: Store,
        shipper: Shipping,
        clock: Clock,
        *,
        interval: float,
        close_delay: float,
        observe: PassObserver = _ignore,
        on_failure: FailureObserver = _ignore_failure,
        on_outcome: OutcomeObserver = _ignore_outcome,
    ) -> None:
        self.store = store
        self.shipper = shipper
        self.clock = clock
        self.interval = interval
        self.close_delay = close_delay
        self.observe = observe
        self.on_failure = on_failure
        self.on_outcome = on_outcome
        self.stall_after = max(MIN_STALL_SECONDS, 20 * interval)
        self._seal_lock = asyncio.Lock()
        self._ship_lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._last_prune = 0.0
        self._seal_beat = time.monotonic()
        self._ship_task: asyncio.Task[None] | None = None

    async def seal(self, *, everything: bool = False) -> PassResult:
        """Seal closed windows (``everything``: the open one too), expire and prune; SQLite only."""
        async with self._seal_lock:
            result = PassResult()
            now = self.clock.now()
            if not self.store.healthy:
                await self.store.probe()
            sealed = await self.store.seal(now, self.close_delay, everything=everything)
            result.sealed_records = sealed.records
            expired = await self.store.expire(now)
            if expired:
                log.error(
                    "records expired before their marketplace confirmed them; they are dead letters",
                    extra={"fields": {"records": len(expired), "reason": "expired",
                                      "marketplaces": await self.store.marketplaces_of(expired)}},
                )  # fmt: skip
                result.dead += len(expired)
                for record_id in expired:
                    self.on_outcome(RecordOutcome(record_id, Outcome.DEAD, reason="expired"))
            if now - self._last_prune >= PRUNE_EVERY_SECONDS:
                self._last_prune = now
                await self.store.prune(now)
            return result

    async def ship(self, result: PassResult | None = None, *, retry_now: bool = False) -> PassResult:
        """Make one shipping attempt for everything due (``retry_now``: backoff or not); one at a time."""
        result = result or PassResult()
        async with self._ship_lock:
            await self.shipper.ship_due(self.clock.now(), result, retry_now=retry_now)
        return result

    async def flush(self, *, everything: bool = False, retry_now: bool = False) -> PassResult:
        """Seal, then ship once: the Flush RPC (``retry_now``: records in backoff too) and the final pass at
        shutdown (only what is due: a marketplace still failing must not spend the shutdown's grace)."""
        result = await self.seal(everything=everything)
        await self.ship(result, retry_now=retry_now)
        await self.observe(result)
        return result

    def stalled(self) -> bool:
        """Return whether a loop is dead or the sealing loop has stopped beating (liveness fails on this)."""
        if self._ship_task is not None and self._ship_task.done() and not self._stop.is_set():
            return True
        return time.monotonic() - self._seal_beat > self.stall_after

    async def run(self) -> None:
        """Run the sealing and shipping loops until stop(); neither ends on an error."""
        self._seal_beat = time.monotonic()
        self._ship_task = asyncio.create_task(self._loop("shipping", self._ship_pass), name="shipping")
        try:
            await self._loop("sealing", self._seal_pass)
            # The shipping loop ends at stop() too, once its call returns; shutdown bounds that wait
            # with wait_shipping().
            await asyncio.wait([self._ship_task])
        finally:
            if not self._ship_task.done():
                self._ship_task.cancel()
                await asyncio.wait([self._ship_task])

    async def wait_shipping(self, seconds: float) -> None:
        """After stop(): give the shipping loop ``seconds`` to finish its call, then cancel it."""
        task = self._ship_task
        if task is None or task.done():
            return
        await asyncio.wait([task], timeout=max(0.0, seconds))
        if not task.done():
            # A hung call: its records stay pending and are resent, identical, by the next pass.
            task.cancel()
            await asyncio.wait([task])

    async def _seal_pass(self) -> None:
        result = await self.seal()
        self._seal_beat = time.monotonic()
        await self.observe(result)

    async def _ship_pass(self) -> bool:
        # Outcomes are counted as they happen; the gauges are refreshed by the sealing loop. A backlog
        # larger than one pass's page ships on at once, without a pause between pages.
        return (await self.ship()).more_due

    async def _loop(self, name: str, one_pass: Callable[[], Awaitable[bool | None]]) -> None:
        failures = 0
        while not self._stop.is_set():
            delay = self.interval
            try:
                if await one_pass():
                    delay = 0.0
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # I11: nothing ends the loop; it is logged, counted and retried
                failures += 1
                delay = min(MAX_FAILURE_BACKOFF_SECONDS, self.interval * 2 ** min(failures, 16))
                self.on_failure(name, exc)
                log.error(
                    f"{name} pass failed; retrying with backoff",
                    extra={"fields": {"error_type": type(exc).__name__, "error": str(exc)[:500],
                                      "consecutive_failures": failures, "retry_in_seconds": delay}},
                )  # fmt: skip
            if name == "sealing":
                self._seal_beat = time.monotonic()
            try:
                await asyncio.wait_for(self._stop.wait(), delay)
            except TimeoutError:
                pass

    def stop(self) -> None:
        """Ask run() to return after the current passes; safe to call twice."""
        self._stop.set()

"""The flusher: every interval, seal closed windows and ship due records; one pass at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from sidecar.clock import Clock
from sidecar.errors import SidecarError
from sidecar.model import PassResult
from sidecar.store import Store

log = logging.getLogger("sidecar.flusher")
PRUNE_EVERY_SECONDS = 600.0

PassObserver = Callable[[PassResult], Awaitable[None]]


class Shipping(Protocol):
    """What a flusher pass hands sealed records to: the AWS shipper, or cluster mode's hand-over."""

    @property
    def disabled_reason(self) -> str: ...

    async def ship_due(self, now: float, result: PassResult) -> None: ...


async def _ignore(result: PassResult) -> None:
    pass


class Flusher:
    """Runs sealing and shipping passes; ``run()`` loops, ``flush()`` runs one pass now."""

    def __init__(
        self,
        store: Store,
        shipper: Shipping,
        clock: Clock,
        *,
        interval: float,
        close_delay: float,
        observe: PassObserver = _ignore,
    ) -> None:
        self.store = store
        self.shipper = shipper
        self.clock = clock
        self.interval = interval
        self.close_delay = close_delay
        self.observe = observe
        self._pass_lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._last_prune = 0.0

    async def flush(self, *, everything: bool = False) -> PassResult:
        """Seal every closed window (``everything``: the open one too), then ship what is due."""
        async with self._pass_lock:
            result = PassResult()
            now = self.clock.now()
            if not self.store.healthy:
                await self.store.probe()
            sealed = await self.store.seal(now, self.close_delay, everything=everything)
            result.sealed_records = sealed.records
            await self.shipper.ship_due(now, result)
            if now - self._last_prune >= PRUNE_EVERY_SECONDS:
                self._last_prune = now
                await self.store.prune(now)
            await self.observe(result)
            return result

    async def run(self) -> None:
        """Pass every interval until stop(); a failing pass is logged and retried next interval."""
        while not self._stop.is_set():
            try:
                await self.flush()
            except SidecarError as exc:
                log.error("flush pass failed; will retry", extra={"fields": {"error": str(exc)}})
            try:
                await asyncio.wait_for(self._stop.wait(), self.interval)
            except TimeoutError:
                pass

    def stop(self) -> None:
        """Ask run() to return after the current pass; safe to call twice."""
        self._stop.set()

"""Readiness and liveness.

Readiness means one thing: the sidecar can take usage. It is NOT_SERVING on a failing or full
database and while draining. AWS-side trouble (DisabledApiException, throttling, outages) never
touches it: an unready sidecar takes the whole pod out of its Service. Liveness fails only when the
sidecar cannot recover by itself: a stuck event loop or a dead flusher task.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable

from grpc_health.v1 import health, health_pb2

from metering_sidecar.store import Store

log = logging.getLogger("sidecar.health")
SERVICE = "meteringsidecar.v1.MeteringSidecar"
LOOP_ANSWER_SECONDS = 5.0


class Health:
    """Owns the gRPC health servicer and the HTTP probe answers."""

    def __init__(self, store: Store, flusher_alive: Callable[[], bool]) -> None:
        self.store = store
        self.flusher_alive = flusher_alive
        self.servicer = health.aio.HealthServicer()  # type: ignore[attr-defined]  # set at import time
        self.draining = False
        self.serving = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.on_change: Callable[[bool], None] = lambda serving: None
        self._task: asyncio.Task[None] | None = None

    async def start(self, interval: float = 1.0) -> None:
        """Publish the first status and keep it current."""
        self.loop = asyncio.get_running_loop()
        await self.refresh()
        self._task = asyncio.create_task(self._watch(interval), name="health")

    async def _watch(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            if not self.store.healthy and not self.draining:
                # A full disk recovers by itself once there is room: try a tiny write.
                await self.store.probe()
            await self.refresh()

    async def refresh(self) -> None:
        """Recompute readiness and publish it to both service names."""
        serving = self.store.healthy and not self.draining
        if serving == self.serving and self._task is not None:
            return
        self.serving = serving
        status = (
            health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ("", SERVICE):
            await self.servicer.set(name, status)
        self.on_change(serving)
        log.info("readiness changed", extra={"fields": {"serving": serving, "draining": self.draining,
                                                        "storage_error": self.store.last_error}})  # fmt: skip

    async def drain(self) -> None:
        """Report NOT_SERVING from now on."""
        self.draining = True
        await self.refresh()

    async def stop(self) -> None:
        """Stop the watcher; safe to call twice."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    def live(self) -> bool:
        """Answer from any thread: the event loop responds and the flusher task is alive."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return False

        async def pong() -> bool:
            return self.flusher_alive()

        try:
            return asyncio.run_coroutine_threadsafe(pong(), loop).result(LOOP_ANSWER_SECONDS)
        except (concurrent.futures.TimeoutError, RuntimeError):
            return False

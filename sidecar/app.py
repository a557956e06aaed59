"""Wiring: build the parts from a Config, start them in order, shut them down in reverse.

Shutdown order (STYLE.md 8): stop taking RPCs within the grace, seal and make a final shipping
attempt, close the store. Everything acknowledged is already on disk, so a hard stop loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from types import TracebackType

import boto3
import grpc

from sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from sidecar.api import MeteringServicer, Rules
from sidecar.clock import Clock, SystemClock
from sidecar.config import Config
from sidecar.emulator import EmulatorServer, EmulatorSettings, MeteringState
from sidecar.errors import SidecarError
from sidecar.flusher import Flusher
from sidecar.marketplace import BotoMarketplace, Marketplace
from sidecar.model import PassResult
from sidecar.shipping import Backoff, Shipper
from sidecar.store import Store, StoreSettings

log = logging.getLogger("sidecar.app")


class Sidecar:
    """The running sidecar: store, flusher and gRPC server; ``async with`` or start()/shutdown()."""

    def __init__(
        self,
        config: Config,
        *,
        env: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        marketplace: Marketplace | None = None,
    ) -> None:
        self.config = config
        self.env = dict(env or {})
        self.clock = clock or SystemClock()
        self._marketplace = marketplace
        self.emulator: EmulatorServer | None = None
        self.store = Store(
            config.db,
            StoreSettings(
                window_seconds=config.window_seconds,
                max_record_age=config.max_record_age,
                expiry_margin=float(config.expiry_margin_seconds),
                max_pending_events=config.max_pending_events,
                max_db_bytes=config.max_db_bytes,
                id_retention_seconds=config.id_retention_days * 86400,
                audit_retention_seconds=config.audit_retention_days * 86400,
            ),
            self.clock,
        )
        self.server: grpc.aio.Server | None = None
        self.flusher: Flusher | None = None
        self.port = 0
        self._flusher_task: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()
        self._shutting_down = False

    async def __aenter__(self) -> Sidecar:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.shutdown()

    def _build_marketplace(self) -> Marketplace:
        if self._marketplace is not None:
            return self._marketplace
        session = None
        endpoint = self.config.custom_endpoint(self.env)
        if self.config.emulator:
            self.emulator = EmulatorServer(
                MeteringState(EmulatorSettings(dedup_seconds=self.config.window_seconds), self.clock)
            ).start()
            endpoint = self.emulator.url
            # The emulator checks no signatures; fixed fake keys keep real credentials out of the way.
            session = boto3.Session(
                aws_access_key_id="emulator", aws_secret_access_key="emulator", region_name="us-east-1"
            )
            log.info("embedded emulator started", extra={"fields": {"url": endpoint}})
        return BotoMarketplace(
            region=self.config.region,
            endpoint_url=endpoint,
            max_attempts=self.config.aws_max_attempts,
            timeout_seconds=self.config.aws_timeout_seconds,
            session=session,
        )

    async def start(self) -> None:
        """Open the store, start the flusher and serve the API."""
        config = self.config
        await self.store.open()
        try:
            marketplace = self._build_marketplace()
            shipper = Shipper(self.store, marketplace, Backoff(cap=config.max_backoff_seconds))
            self.flusher = Flusher(
                self.store,
                shipper,
                self.clock,
                interval=config.flush_interval_seconds,
                close_delay=config.close_delay_seconds,
            )
            rules = Rules(
                default_product_code=config.product_code,
                max_record_age=config.max_record_age,
                allowed_tag_keys=frozenset(config.allocation_tag_keys),
            )
            self.server = grpc.aio.server(
                options=[
                    ("grpc.max_receive_message_length", config.max_message_bytes),
                    ("grpc.so_reuseport", 0),
                ]
            )
            pb_grpc.add_MeteringSidecarServicer_to_server(
                MeteringServicer(self.store, self.flusher, rules, self.clock), self.server
            )
            self.port = self.server.add_insecure_port(config.listen)
            if self.port == 0 and not config.listen.startswith("unix:"):
                raise SidecarError(f"--listen: cannot bind {config.listen}")
            await self.server.start()
        except BaseException:
            await self.store.close()
            if self.emulator is not None:
                self.emulator.stop()
            raise
        self._flusher_task = asyncio.create_task(self.flusher.run(), name="flusher")
        log.info(
            "metering-sidecar serving",
            extra={"fields": {"listen": config.listen, "port": self.port, "db": config.db,
                              "new_database": self.store.created}},
        )  # fmt: skip

    @property
    def target(self) -> str:
        """Return the address a client dials."""
        listen = self.config.listen
        if listen.startswith("unix:"):
            return listen
        host = listen.rsplit(":", 1)[0]
        return f"{host}:{self.port}"

    async def shutdown(self, grace: float = 5.0) -> PassResult | None:
        """Stop serving, seal everything, make one bounded final shipping attempt, close; safe twice."""
        if self._shutting_down:
            await self._stopped.wait()
            return None
        self._shutting_down = True
        deadline = time.monotonic() + grace
        result: PassResult | None = None
        try:
            if self.server is not None:
                await self.server.stop(grace)
            if self.flusher is not None:
                self.flusher.stop()
                if self._flusher_task is not None:
                    await self._flusher_task
                result = await self._final_pass(max(0.1, deadline - time.monotonic()))
        finally:
            await self.store.close()
            if self.emulator is not None:
                self.emulator.stop()
            self._stopped.set()
        return result

    async def _final_pass(self, budget: float) -> PassResult | None:
        assert self.flusher is not None
        try:
            return await asyncio.wait_for(self.flusher.flush(everything=True), budget)
        except TimeoutError:
            log.warning("final shipping attempt ran out of time; unshipped records stay for the next start")
        except SidecarError as exc:
            log.error(
                "final pass failed; records stay for the next start", extra={"fields": {"error": str(exc)}}
            )
        return None

    async def wait_stopped(self) -> None:
        """Return once shutdown() has finished."""
        await self._stopped.wait()

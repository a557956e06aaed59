"""Wiring: build the parts from a Config, start them in order, shut them down in reverse.

Shutdown (issue "Run it in Kubernetes"): keep serving for --shutdown-delay-seconds,
report NOT_SERVING, stop taking RPCs and let in-flight ones finish, seal every window (the open one
too), make one shipping attempt bounded by the remaining grace, close the store. Everything
acknowledged is already on disk, so a hard stop at any point loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import cast

import boto3
import grpc
from grpc_health.v1 import health, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from metering_sidecar import cluster as cluster_mode  # its classes load psycopg when first used
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.api import MeteringServicer, Rules, TokenAuth
from metering_sidecar.config import Config, read_token
from metering_sidecar.core import Clock, ConfigError, PassResult, SidecarError, SystemClock
from metering_sidecar.emulator import (
    AzureSettings,
    AzureState,
    EmulatorServer,
    EmulatorSettings,
    MeteringState,
)
from metering_sidecar.marketplace import BotoMarketplace, Marketplace, azure_from_config
from metering_sidecar.onboarding import AzureOnboarding, CustomerRegistry, Entitlements, Onboarding
from metering_sidecar.ops import Health, Metrics, ProbeServer
from metering_sidecar.shipping import Backoff, DeadLetters, Flusher, Pacer, Shipper, Shipping
from metering_sidecar.store import Store, StoreSettings
from metering_sidecar.targets import AwsTarget, AzureApi, AzureTarget, default_targets

log = logging.getLogger("sidecar.app")


@contextlib.contextmanager
def startup_heap_frozen() -> Iterator[None]:
    """While serving, keep the garbage collector off the objects start-up made (modules, boto3's service
    models, the proto descriptors, the parts): they live as long as the process, and walking them made
    each full collection an 18 ms pause with every waiting RecordUsage in it (about 62,000 objects).
    The process's own choice, so only `serve` (and the bench, which runs serve's wiring) takes it."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def split_host_port(address: str, flag: str) -> tuple[str, int]:
    """Split host:port (IPv6 in brackets), or raise ConfigError naming the flag."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ConfigError(f"{flag}: expected host:port, got {address!r}")
    return host.strip("[]"), int(port)


class Sidecar:
    """The running sidecar; ``async with`` or start()/shutdown()."""

    def __init__(
        self,
        config: Config,
        *,
        env: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        marketplace: Marketplace | None = None,
        boto_session: boto3.Session | None = None,
        azure: AzureApi | None = None,
    ) -> None:
        self.config = config
        self._boto_session = boto_session
        self.env = dict(env or {})
        self.clock = clock or SystemClock()
        self._marketplace = marketplace
        self._azure = azure
        self.azure: AzureApi | None = None  # the Azure adapter once started; None: Azure is off
        self.emulator: EmulatorServer | None = None
        self.metrics = Metrics(config.max_record_age, cluster=bool(config.cluster_postgres_dsn))
        self.store = Store(
            config.db,
            StoreSettings(
                window_seconds=config.window_seconds,
                max_record_age=config.max_record_age,
                expiry_margin=float(config.expiry_margin_seconds),
                max_pending_events=config.max_pending_events,
                max_db_bytes=config.max_db_bytes,
                commit_delay=config.commit_delay_seconds,
                id_retention_seconds=config.id_retention_days * 86400,
                audit_retention_seconds=config.audit_retention_days * 86400,
                ship_from=config.ship_from,
                fresh_start_seals_current_window=not config.cluster_postgres_dsn,
            ),
            self.clock,
        )
        self.health = Health(self.store, self._flusher_alive)
        self.health.on_change = lambda serving: self.metrics.serving.set(1 if serving else 0)
        self.server: grpc.aio.Server | None = None
        self.health_server: grpc.aio.Server | None = None
        self.probes: ProbeServer | None = None
        self.flusher: Flusher | None = None
        self.port = 0
        self.health_port = 0
        self._flusher_task: asyncio.Task[None] | None = None
        self.cluster: cluster_mode.ClusterShipping | None = None
        self._shipper: Shipper | None = None  # the one that ships: cluster mode's ships the ledger's records
        self._marketplaces: tuple[str, ...] = ()  # those this sidecar ships to
        self._stopped = asyncio.Event()
        self._shutting_down = False
        # Every part is registered here as it starts, so it stops in the reverse order, always.
        self._parts = contextlib.AsyncExitStack()

    async def __aenter__(self) -> Sidecar:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.shutdown()

    def _flusher_done(self, task: asyncio.Task[None]) -> None:
        if not self._shutting_down:
            error = None if task.cancelled() else task.exception()
            log.error("the flusher stopped; liveness now fails so the container restarts",
                      extra={"fields": {"error": error}})  # fmt: skip

    def _flusher_alive(self) -> bool:
        if self._flusher_task is None or self._flusher_task.done():
            return False
        return self.flusher is None or not self.flusher.stalled()

    def _build_marketplace(self) -> Marketplace:
        if self._marketplace is not None:
            return self._marketplace
        session = self._boto_session
        endpoint = self.config.custom_endpoint(self.env)
        entitlement_endpoint = self.config.entitlement_endpoint(self.env)
        if self.config.emulator:
            self.emulator = EmulatorServer(
                MeteringState(EmulatorSettings(dedup_seconds=self.config.window_seconds), self.clock),
                azure=AzureState(AzureSettings(hour_seconds=self.config.window_seconds, auto_subscribe=True),
                                 self.clock),
            ).start()  # fmt: skip
            endpoint = entitlement_endpoint = self.emulator.url
            # The emulator checks no signatures; fixed fake keys keep real credentials out of the way.
            session = boto3.Session(
                aws_access_key_id="emulator", aws_secret_access_key="emulator", region_name="us-east-1"
            )
            log.info("embedded emulator started", extra={"fields": {"url": endpoint}})
        return BotoMarketplace(
            region=self.config.region,
            endpoint_url=endpoint,
            entitlement_endpoint_url=entitlement_endpoint,
            max_attempts=self.config.aws_max_attempts,
            timeout_seconds=self.config.aws_timeout_seconds,
            call_deadline_seconds=self.config.aws_call_deadline_seconds,
            max_calls_in_flight=self.config.aws_max_calls_in_flight,
            session=session,
            observe=self.metrics.observe_call,
        )

    async def _after_pass(self, result: PassResult) -> None:
        self.metrics.observe_pass(result)
        self.metrics.observe_commits(self.store.ingest.commits, self.store.ingest.delayed)
        assert self.flusher is not None
        status = await self.store.status()
        self.metrics.observe_status(status, self.clock.now(), bool(self.flusher.shipper.disabled_reason))
        counts = await self.store.by_marketplace.read(self.clock.now())
        # The shipper's stop reasons by marketplace, read and never changed (cluster mode: the ledger's shipper).
        stopped: dict[str, str] = self._shipper._stopped if self._shipper is not None else {}
        self.metrics.observe_marketplaces(self._marketplaces, counts, stopped)
        if self.cluster is not None:
            self.metrics.observe_cluster(
                postgres_up=self.cluster.postgres_up, backlog=self.cluster.backlog,
                leader=self.cluster.ledger.leader, conflicts=self.cluster.conflicts,
            )  # fmt: skip

    async def start(self) -> None:
        """Open the store, start the flusher, serve the API, health and metrics."""
        config = self.config
        interceptors = [TokenAuth(read_token(config.api_token_file))] if config.api_token_file else []
        parts = self._parts
        try:
            await self.store.open()
            parts.push_async_callback(self.store.close)
            await self._check_mode_change()
            marketplace = self._build_marketplace()
            if self.emulator is not None:
                parts.callback(self.emulator.stop)
            azure = self._azure or azure_from_config(
                config, self.env, self.emulator, self.metrics.observe_azure_call
            )
            self.azure = azure
            if azure is not None:
                parts.push_async_callback(azure.close)
            # The store's targets encode; the shipper's also send, each through its marketplace's adapter.
            targets = default_targets(
                max_record_age=config.max_record_age, expiry_margin=float(config.expiry_margin_seconds),
                aws=marketplace, azure=azure,
            )  # fmt: skip
            shipper = Shipper(
                self.store.ledger, targets, Backoff(cap=config.max_backoff_seconds), self.metrics.observe_outcome,
                self.metrics.observe_unmatched, Pacer(config.ship_concurrency, config.ship_rate_per_second),
                clock=self.clock,
            )  # fmt: skip
            shipping: Shipping = shipper
            self._shipper = shipper
            self._marketplaces = (AwsTarget.marketplace, *([AzureTarget.marketplace] if azure else []))
            registry: CustomerRegistry = self.store.customers
            if config.cluster_postgres_dsn:
                ledger = cluster_mode.PostgresLedger(
                    config.cluster_postgres_dsn, config.resolved_instance_id(self.env),
                    window_seconds=config.window_seconds, expiry_after=self.store.expiry_after,
                    member_timeout=config.cluster_member_timeout_seconds,
                    call_timeout=config.cluster_call_timeout_seconds, targets=self.store.targets,
                )  # fmt: skip
                cluster_shipper = Shipper(
                    ledger, targets, Backoff(cap=config.max_backoff_seconds),
                    self.metrics.observe_outcome, self.metrics.observe_unmatched, shipper.pacer, clock=self.clock,
                )  # fmt: skip
                self.cluster = cluster_mode.ClusterShipping(
                    self.store, ledger, cluster_shipper,
                    member_timeout=config.cluster_member_timeout_seconds,
                    deadline=config.cluster_close_deadline_seconds,
                )  # fmt: skip
                shipping = self.cluster
                self._shipper = cluster_shipper
                registry = cluster_mode.ClusterCustomers(ledger)  # bindings shared by every replica
            self.flusher = Flusher(
                self.store, shipping, self.clock,
                interval=config.flush_interval_seconds, close_delay=config.close_delay_seconds,
                observe=self._after_pass, on_failure=self.metrics.observe_pass_failure,
                on_outcome=self.metrics.observe_outcome,
            )  # fmt: skip
            rules = Rules(
                default_product_code=config.product_code,
                max_record_age=config.max_record_age,
                allowed_tag_keys=frozenset(config.allocation_tag_keys),
                azure=azure is not None,
            )
            self.server = grpc.aio.server(
                interceptors=interceptors,
                options=[
                    ("grpc.max_receive_message_length", config.max_message_bytes),
                    ("grpc.so_reuseport", 0),
                ],
            )
            entitlements = Entitlements(
                marketplace, self.clock, ttl=config.entitlement_ttl_seconds,
                max_stale=config.entitlement_max_stale_seconds, default_product=config.product_code,
            )  # fmt: skip
            servicer = MeteringServicer(
                self.store, self.flusher, rules, self.clock, Onboarding(registry, marketplace, self.clock),
                entitlements, self.metrics.observe_ingest,
                dead_letters=DeadLetters(self.store, self.clock, self.cluster.ledger if self.cluster else None),
                azure=None if azure is None else AzureOnboarding(
                    self.store.azure_subscriptions, azure, self.clock, ttl=config.entitlement_ttl_seconds,
                    max_stale=config.entitlement_max_stale_seconds,
                ),
            )  # fmt: skip
            pb_grpc.add_MeteringSidecarServicer_to_server(servicer, self.server)
            health_pb2_grpc.add_HealthServicer_to_server(self.health.servicer, self.server)
            reflection.enable_server_reflection(
                [pb.DESCRIPTOR.services_by_name["MeteringSidecar"].full_name, health.SERVICE_NAME,
                 reflection.SERVICE_NAME],
                self.server,
            )  # fmt: skip
            self.port = self._bind(self.server, config.listen, "--listen")
            await self.health.start()
            parts.push_async_callback(self.health.stop)
            await self.server.start()
            parts.push_async_callback(self.server.stop, None)
            await self._start_health_and_probes()
            if self.cluster is not None:
                parts.push_async_callback(self.cluster.close)
                await self.cluster.join(self.clock.now())  # refuses (exit 2) a ledger too new for it
            self._flusher_task = asyncio.create_task(self.flusher.run(), name="flusher")
            self._flusher_task.add_done_callback(self._flusher_done)
            parts.push_async_callback(self._cancel_flusher)
        except BaseException:
            await self._close_parts()
            raise
        log.info(
            "metering-sidecar serving",
            extra={"fields": {"listen": config.listen, "port": self.port, "health_port": self.health_port,
                              "metrics_port": self.probes.port if self.probes else 0, "db": config.db,
                              "new_database": self.store.created, "token_auth": bool(interceptors)}},
        )  # fmt: skip

    async def _check_mode_change(self) -> None:
        # Records sealed in one mode cannot be settled by the other (I12). Cluster records belong to the
        # cluster's summed record: shipping them alone races it for the hour (DuplicateRecord). Single-mode
        # records that were sent may have landed at AWS: summed into a cluster record, they would make it a
        # DuplicateRecord. Refuse the switch until they settle, and say how.
        mode = "cluster" if self.config.cluster_postgres_dsn else "single"
        last = await self.store.last_mode()
        if last == "cluster" and mode == "single":
            unsettled = await self.store.unsettled_records()
            if unsettled:
                raise ConfigError(
                    f"--cluster-postgres-dsn: {self.config.db} was last served in cluster mode and holds "
                    f"{unsettled} records the cluster has not settled yet, which single mode cannot settle. "
                    "Start it in cluster mode again (the same --cluster-postgres-dsn and --instance-id) until "
                    "GetStatus shows pending_events 0, then switch to single mode"
                )
        if last == "single" and mode == "cluster":
            unsettled = await self.store.unsettled_records(attempted_only=True)
            if unsettled:
                raise ConfigError(
                    f"--cluster-postgres-dsn: {self.config.db} was last served in single mode and holds "
                    f"{unsettled} records already sent to AWS but not yet confirmed; summed into the cluster's "
                    "records they could make AWS refuse them. Start it in single mode again until GetStatus "
                    "shows pending_events 0 (or until those records settle), then switch to cluster mode"
                )
        await self.store.set_mode(mode)

    @staticmethod
    def _bind(server: grpc.aio.Server, address: str, flag: str) -> int:
        try:
            port = server.add_insecure_port(address)
        except RuntimeError as exc:
            raise ConfigError(f"{flag}: cannot listen on {address}: {exc}") from None
        if port == 0 and not address.startswith("unix:"):
            raise ConfigError(f"{flag}: cannot listen on {address}")
        return port

    async def _start_health_and_probes(self) -> None:
        config = self.config
        if config.health_listen:
            # kubelet probes arrive on the pod IP, while the API stays on loopback: health alone here.
            self.health_server = grpc.aio.server()
            health_pb2_grpc.add_HealthServicer_to_server(self.health.servicer, self.health_server)
            self.health_port = self._bind(self.health_server, config.health_listen, "--health-listen")
            await self.health_server.start()
            self._parts.push_async_callback(self.health_server.stop, None)
        if config.metrics_listen:
            host, port = split_host_port(config.metrics_listen, "--metrics-listen")
            try:
                self.probes = ProbeServer(host, port, self.health, self.metrics).start()
            except OSError as exc:
                raise ConfigError(
                    f"--metrics-listen: cannot listen on {config.metrics_listen}: {exc}"
                ) from None
            self._parts.callback(self.probes.stop)

    @property
    def target(self) -> str:
        """Return the address a client dials."""
        listen = self.config.listen
        if listen.startswith("unix:"):
            return listen
        host = listen.rsplit(":", 1)[0]
        return f"{host}:{self.port}"

    async def drain(self) -> PassResult | None:
        """SIGTERM: keep serving for the shutdown delay, then shut down within the grace."""
        if self.config.shutdown_delay_seconds:
            log.info("SIGTERM: still serving for the shutdown delay",
                     extra={"fields": {"seconds": self.config.shutdown_delay_seconds}})  # fmt: skip
            await asyncio.sleep(self.config.shutdown_delay_seconds)
        return await self.shutdown()

    async def shutdown(self, grace: float | None = None) -> PassResult | None:
        """NOT_SERVING, stop RPCs, seal everything, one bounded final shipment, close; safe to call twice."""
        if self._shutting_down:
            await self._stopped.wait()
            return None
        self._shutting_down = True
        grace = self.config.shutdown_grace_seconds if grace is None else grace
        deadline = time.monotonic() + grace
        result: PassResult | None = None
        try:
            await self.health.drain()
            if self.server is not None:
                # In-flight RPCs (ingest answers within milliseconds) get half; the final pass the rest.
                await self.server.stop(grace / 2)
            if self.flusher is not None:
                self.flusher.stop()
                # A shipping call hung on AWS must not eat the grace: give it half, then cancel it.
                await self.flusher.wait_shipping((deadline - time.monotonic()) / 2)
                if self._flusher_task is not None:
                    await asyncio.wait([self._flusher_task])  # a dead flusher must not stop the drain
                result = await self._final_pass(deadline)
        finally:
            await self._close_parts()
        log.info("metering-sidecar stopped", extra={"fields": {"final_pass": result}})
        return result

    async def _close_parts(self) -> None:
        try:
            await self._parts.aclose()  # in the reverse of the order they started
        finally:
            self._stopped.set()

    async def _cancel_flusher(self) -> None:
        task = self._flusher_task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])

    async def run(self) -> None:
        """Serve until a shutdown has finished; raise if a part died on its own first."""
        stopped: asyncio.Task[object] = asyncio.create_task(self._stopped.wait())
        watched: set[asyncio.Task[object]] = {stopped}
        if self._flusher_task is not None:
            watched.add(cast("asyncio.Task[object]", self._flusher_task))
        await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
        flusher = self._flusher_task
        if not self._shutting_down and flusher is not None and flusher.done():
            stopped.cancel()
            error = None if flusher.cancelled() else flusher.exception()
            await self.shutdown()
            raise SidecarError(
                f"the flusher stopped on its own ({error!r}); the process exits to be restarted"
            )
        await stopped

    async def _final_pass(self, deadline: float) -> PassResult | None:
        assert self.flusher is not None
        try:
            return await asyncio.wait_for(
                self.flusher.flush(everything=True), max(0.1, deadline - time.monotonic())
            )
        except TimeoutError:
            log.warning("final shipping attempt ran out of time; unshipped records stay for the next start")
        except Exception as exc:  # the store still closes: everything acknowledged is on disk
            log.error(
                "final pass failed; records stay for the next start",
                extra={"fields": {"error_type": type(exc).__name__, "error": str(exc)}},
            )
        return None

    async def wait_stopped(self) -> None:
        """Return once shutdown() has finished."""
        await self._stopped.wait()

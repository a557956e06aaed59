"""The servers under test, each run in its own process by the harness:

  noop     (a) a grpc.aio server with the same proto whose RecordUsage does nothing: the ceiling
  naive    (b) a servicer that commits each request on its own to SQLite (WAL, synchronous=FULL)
  sidecar  the real sidecar (`metering-sidecar serve` wiring, group commit)

Usage: python -m bench.servers KIND PORT DB
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import aiosqlite
import grpc
from metering_sidecar import config as config_module
from metering_sidecar._app import Sidecar, startup_heap_frozen
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.store._schema import MIGRATIONS

# The sidecar with --commit-delay-seconds 0 (its default is 3 ms, engaged only under many callers): what the
# delay buys at 64 callers.
UNDELAYED = "sidecar-undelayed"


class NoopServicer(pb_grpc.MeteringSidecarServicer):
    """(a) Answers at once: what gRPC itself costs."""

    async def RecordUsage(self, request: pb.RecordUsageRequest, context: Any) -> pb.RecordUsageResponse:
        return pb.RecordUsageResponse(event_id=request.event.event_id)

    async def RecordUsageBatch(
        self, request: pb.RecordUsageBatchRequest, context: Any
    ) -> pb.RecordUsageBatchResponse:
        return pb.RecordUsageBatchResponse(accepted=len(request.events))


class NaiveServicer(pb_grpc.MeteringSidecarServicer):
    """(b) One INSERT and one COMMIT (one fsync) per request, into the sidecar's own schema."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db
        self.lock = asyncio.Lock()

    async def _store(self, events: Any) -> None:
        rows = [(e.event_id, "fp", "p", "", "CustomerAWSAccountId", e.customer_aws_account_id, e.dimension,
                 e.quantity, 0, 0, "", 0) for e in events]  # fmt: skip
        async with self.lock:
            await self.db.execute("BEGIN IMMEDIATE")
            await self.db.executemany(
                "INSERT INTO events (event_id, fingerprint, product, license_arn, customer_field, customer, "
                "dimension, quantity, event_ms, window_start, tags, received_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            await self.db.execute("COMMIT")

    async def RecordUsage(self, request: pb.RecordUsageRequest, context: Any) -> pb.RecordUsageResponse:
        await self._store([request.event])
        return pb.RecordUsageResponse(event_id=request.event.event_id)

    async def RecordUsageBatch(
        self, request: pb.RecordUsageBatchRequest, context: Any
    ) -> pb.RecordUsageBatchResponse:
        await self._store(request.events)
        return pb.RecordUsageBatchResponse(accepted=len(request.events))


async def create_schema(db: aiosqlite.Connection) -> None:
    """The sidecar's schema, so baselines pay for the same indexes."""
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute("PRAGMA synchronous=FULL")
    for script in MIGRATIONS:
        for statement in (s.strip() for s in script.split(";")):
            if statement:
                await db.execute(statement)


async def serve(kind: str, port: int, db_path: str) -> None:
    """Serve until killed; print READY when listening."""
    if kind in ("sidecar", UNDELAYED):
        cfg = config_module.from_mapping(
            {}, listen=f"127.0.0.1:{port}", db=db_path, product_code="bench", health_listen="", metrics_listen="",
            metering_endpoint_url="http://127.0.0.1:9", flush_interval_seconds=3600.0, log_level="error",
            **({"commit_delay_seconds": 0.0} if kind == UNDELAYED else {}),
        )  # fmt: skip
        sidecar = Sidecar(cfg)
        await sidecar.start()
        with startup_heap_frozen():  # as `metering-sidecar serve` does
            print("READY", flush=True)
            await asyncio.Event().wait()
    server = grpc.aio.server()
    if kind == "noop":
        # The stubs mark every RPC abstract; at run time the generated base class answers UNIMPLEMENTED for
        # the ones a benchmark server does not serve, which is what we want.
        pb_grpc.add_MeteringSidecarServicer_to_server(NoopServicer(), server)  # type: ignore[abstract]
    else:
        db = await aiosqlite.connect(db_path, isolation_level=None)
        await create_schema(db)
        pb_grpc.add_MeteringSidecarServicer_to_server(NaiveServicer(db), server)  # type: ignore[abstract]
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    print("READY", flush=True)
    await server.wait_for_termination()


if __name__ == "__main__":
    kind, port, db = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    Path(db).parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(kind, port, db))

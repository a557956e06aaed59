"""Shared fixtures: real SQLite in tmp_path, a real grpc.aio server on loopback, the emulator over HTTP."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import grpc
import pytest
from metering_sidecar import config as config_module
from metering_sidecar._app import Sidecar
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.core._clock import ManualClock
from metering_sidecar.emulator import EmulatorServer, EmulatorSettings, MeteringState
from metering_sidecar.marketplace import BotoMarketplace

# 2026-11-27 10:00:00 UTC plus 10 minutes: inside a window, far from its edges.
START = 1_795_773_600.0 + 600
HOUR = 3600
ACCOUNT = "111122223333"
OTHER = "444455556666"
PRODUCT = "prod-abc123"


def fake_session() -> boto3.Session:
    """Return a boto3 session with fake keys: tests never touch real credentials or os.environ."""
    return boto3.Session(
        aws_access_key_id="AKIDTEST", aws_secret_access_key="test-secret", region_name="us-east-1"
    )


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock shared by the sidecar and the emulator."""
    return ManualClock(START)


@pytest.fixture
def emulator(clock: ManualClock) -> Iterator[EmulatorServer]:
    """The AWS emulator on a loopback port, on the test's clock."""
    server = EmulatorServer(MeteringState(EmulatorSettings(seed=1), clock)).start()
    yield server
    server.stop()


def boto_marketplace(url: str) -> BotoMarketplace:
    """Return the real boto3 adapter pointed at ``url``, with transport retries off."""
    return BotoMarketplace(endpoint_url=url, session=fake_session(), max_attempts=1, timeout_seconds=5)


SidecarFactory = Callable[..., Awaitable[Sidecar]]


@pytest.fixture
async def make_sidecar(
    tmp_path: Path, clock: ManualClock, emulator: EmulatorServer
) -> AsyncIterator[SidecarFactory]:
    """Start sidecars on loopback with the manual clock; all are shut down after the test."""
    started: list[Sidecar] = []

    async def make(**overrides: Any) -> Sidecar:
        settings: dict[str, Any] = {
            "listen": "127.0.0.1:0",
            "health_listen": "127.0.0.1:0",
            "metrics_listen": "127.0.0.1:0",
            "db": str(tmp_path / "sidecar.db"),
            "product_code": PRODUCT,
            "close_delay_seconds": 60.0,
            "flush_interval_seconds": 3600.0,  # tests drive passes with Flush
            "max_backoff_seconds": 0.0,  # retries are due at once: tests switch the waiting off
            "metering_endpoint_url": emulator.url,
            "entitlement_endpoint_url": emulator.url,
            "aws_max_attempts": 1,  # botocore's own retries off: the tests count attempts
            "aws_timeout_seconds": 5.0,
        }
        settings.update(overrides)
        cfg = config_module.from_mapping({}, **settings)
        sidecar = Sidecar(cfg, clock=clock, boto_session=fake_session())
        await sidecar.start()
        started.append(sidecar)
        return sidecar

    yield make
    for sidecar in started:
        await sidecar.shutdown(grace=0.5)


@pytest.fixture
async def sidecar(make_sidecar: SidecarFactory) -> Sidecar:
    """A started sidecar with default test settings."""
    return await make_sidecar()


@pytest.fixture
async def stub(sidecar: Sidecar) -> AsyncIterator[pb_grpc.MeteringSidecarAsyncStub]:
    """A client stub on a real channel to the sidecar."""
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        yield pb_grpc.MeteringSidecarStub(channel)


def event(**fields: Any) -> pb.UsageEvent:
    """Return a valid event, with ``fields`` overriding the defaults."""
    values: dict[str, Any] = {"customer_aws_account_id": ACCOUNT, "dimension": "requests", "quantity": 1}
    values.update(fields)
    return pb.UsageEvent(**values)


def stamp(seconds: float) -> Any:
    """Return a protobuf Timestamp."""
    from google.protobuf.timestamp_pb2 import Timestamp

    ts = Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def db_rows(path: str | Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the sidecar's database through a separate connection, as a crash survivor would."""
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchall()


async def advance_and_flush(
    clock: ManualClock, stub: pb_grpc.MeteringSidecarAsyncStub, seconds: float
) -> pb.FlushResponse:
    """Move the clock and run one sealing and shipping pass."""
    clock.advance(seconds)
    return await stub.Flush(pb.FlushRequest())


@pytest.fixture(autouse=True)
def no_retry_waits() -> Iterator[None]:
    """stamina's testing mode: RPC-level retries make 3 attempts without waiting (STYLE.md 7)."""
    import stamina

    with stamina.set_testing(True, attempts=3):
        yield


# --- Parallel runs (pytest-xdist, --dist loadgroup in scripts/test) ------------------------------------------
# Each client's build runs once per worker that needs it and writes into the source tree (tsc into
# clients/node, mvn into clients/java/target): two workers must never build the same one at once, and a
# module-scoped fixture is rebuilt whenever a worker comes back to its module after another. So the tests
# that share a module-scoped fixture go to one worker, as one group; the client tests are grouped per
# language (each language's build and runner), so the four languages still run side by side.
_CLIENT_BUILDS = {"node_build": "node", "go_binaries": "go", "java_build": "java"}


def _xdist_group(item: pytest.Item) -> str | None:
    module = item.nodeid.split("::", 1)[0]
    fixtures: list[str] = list(getattr(item, "fixturenames", []))
    if module == "tests/test_clients.py":
        callspec = getattr(item, "callspec", None)
        language = callspec.params.get("language") if callspec is not None else None
        if language is None:
            language = next((lang for name, lang in _CLIENT_BUILDS.items() if name in fixtures), None)
        return f"clients-{language}" if language is not None else None
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    for name in fixtures:
        definitions = info.name2fixturedefs.get(name, ())
        if any(d.scope == "module" for d in definitions):
            return module
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests that share a module-scoped fixture (or a client build) with one xdist_group."""
    for item in items:
        group = _xdist_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))

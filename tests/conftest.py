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

ROOT = Path(__file__).resolve().parent.parent
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
    """stamina's testing mode: RPC-level retries make 3 attempts without waiting ."""
    import stamina

    with stamina.set_testing(True, attempts=3):
        yield


# --- Parallel runs (pytest-xdist, --dist loadgroup in scripts/test) ------------------------------------------
# Each client's build runs once per worker that needs it and writes into the source tree (tsc into
# clients/node, mvn into clients/java/target): two workers must never build the same one at once, and a
# module-scoped fixture is rebuilt whenever a worker comes back to its module after another. So the tests
# that share a build or a module-scoped fixture go to one worker as one unit; the client tests are grouped
# per language (its build, its conformance runner), so the four languages still run side by side.
#
# The groups are chosen here from node ids, by a scheduler, rather than with xdist_group marks: xdist 3.8
# applies those marks by rewriting Item._nodeid, which pytest 9.2 no longer reads (its node id is _id), so
# the marks silently group nothing.
_WHOLE_MODULES = {"tests/test_packaging.py", "tests/test_cluster_ledger.py"}  # module-scoped fixtures
_CLIENT_TESTS = "tests/test_clients.py::"
_LANGUAGES = ("python", "node", "go", "java")


def xdist_group(nodeid: str) -> str | None:
    """Return the unit of work ``nodeid`` must share a worker with, or None if it can go anywhere."""
    module = nodeid.split("::", 1)[0]
    if module in _WHOLE_MODULES:
        return module
    if not nodeid.startswith(_CLIENT_TESTS):
        return None
    name = nodeid[len(_CLIENT_TESTS) :]
    if name.startswith("test_conformance["):  # test_conformance[<language>-<case>]: the language's runner
        return "clients-" + name[len("test_conformance[") :].split("-", 1)[0]
    for language in _LANGUAGES[1:]:  # node_build, java_build, go_binaries (test_go_module_* builds none)
        if name.startswith((f"test_{language}_client", f"test_{language}_unit", f"test_{language}_package")):
            return f"clients-{language}"
    return None


# The units of work that take longest (scripts/test, measured), longest first: each is handed to a worker as
# soon as one is free, so none of them may start late and end after the rest (the suite's wall time is the
# busiest worker's). xdist's own order (the units with the most tests first) is switched off below.
_LONGEST = (
    "tests/reliability/test_cluster_reliability.py::test_more_than_5000_records_in_one_hand_over",
    "tests/test_cluster_ledger.py",
    "clients-node",
    "tests/test_packaging.py",
    "clients-java",
    "tests/reliability/test_cluster_reliability.py::test_rolling_upgrade_from_the_previous_version",
    "clients-go",
    "tests/test_cluster.py::test_three_sidecars_bill_exact_totals",
)


def _first(nodeid: str) -> tuple[int, int]:
    # Then the reliability scenarios and the other tests of real processes, which wait on real windows, and
    # everything else last (a stable sort: each module keeps its own order).
    unit = xdist_group(nodeid) or nodeid
    if unit in _LONGEST:
        return (0, _LONGEST.index(unit))
    if nodeid.startswith(("tests/reliability/", "tests/test_cluster.py", _CLIENT_TESTS)):
        return (1, 0)
    return (2, 0)


def pytest_configure(config: pytest.Config) -> None:
    """Compile the Python the suite's processes import, once, before the first of them starts.

    The suite starts some 250 Python processes (`serve`, the emulator, the CLI, the client drivers). Where
    PYTHONDONTWRITEBYTECODE is set, as on the machine that measured the suite, none of them keeps the bytecode
    it compiles, so each compiled the package's modules from source again (~0.06 s of CPU per start).
    """
    if hasattr(config, "workerinput"):
        return  # an xdist worker: the controller compiled them before starting it
    import compileall

    for part in ("sidecar/metering_sidecar", "clients/python/metering_sidecar_client", "tests", "bench"):
        compileall.compile_dir(ROOT / part, quiet=2)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the long units of work first (a stable sort: each module keeps its own order)."""
    items.sort(key=lambda item: _first(item.nodeid))


@pytest.hookimpl(optionalhook=True)  # a hook of xdist's: pytest without xdist must not reject it
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """--dist loadgroup with the groups of xdist_group() above."""
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist ships no types
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group(nodeid) or nodeid

    config.option.loadscopereorder = False  # keep the order of pytest_collection_modifyitems
    return SharedFixtureScheduling(config, log)

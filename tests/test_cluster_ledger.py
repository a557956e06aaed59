"""Cluster mode in process, on a real PostgreSQL and the emulator, with the injected clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest

from sidecar import config as config_module
from sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from sidecar.app import Sidecar
from sidecar.clock import ManualClock
from sidecar.emulator import EmulatorServer
from tests import pg
from tests.conftest import HOUR, START, event, fake_session

pytestmark = pytest.mark.skipif(
    not pg.available(), reason="PostgreSQL 15 missing (scripts/install-deps installs it)"
)
NEXT = (int(START) // HOUR) * HOUR + HOUR


@pytest.fixture(scope="module")
def postgres() -> Iterator[pg.Postgres]:
    """One PostgreSQL for this module; each test uses its own database."""
    server = pg.Postgres()
    server.start()
    yield server
    server.destroy()


@pytest.fixture
def dsn(postgres: pg.Postgres, request: pytest.FixtureRequest) -> str:
    """A fresh database for the test."""
    name = "t_" + request.node.name.lower().replace("[", "_").replace("]", "")[:50]
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres.dsn.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
async def cluster(
    tmp_path: Path, clock: ManualClock, emulator: EmulatorServer, dsn: str
) -> AsyncIterator[Any]:
    """Start in-process cluster members by instance id (each with its own database file)."""
    started: list[Sidecar] = []

    async def make(instance: str, db: str = "", **overrides: Any) -> Sidecar:
        values: dict[str, Any] = {
            "listen": "127.0.0.1:0", "health_listen": "", "metrics_listen": "", "product_code": "prod-abc123",
            "db": db or str(tmp_path / f"{instance}.db"), "close_delay_seconds": 60.0,
            "flush_interval_seconds": 3600.0, "max_backoff_seconds": 0.0, "metering_endpoint_url": emulator.url,
            "entitlement_endpoint_url": emulator.url, "aws_max_attempts": 1, "cluster_postgres_dsn": dsn,
            "instance_id": instance, "cluster_member_timeout_seconds": 600.0,
            "cluster_close_deadline_seconds": 1800.0,
        }  # fmt: skip
        values.update(overrides)
        sidecar = Sidecar(config_module.from_mapping({}, **values), clock=clock, boto_session=fake_session())
        await sidecar.start()
        started.append(sidecar)
        return sidecar

    yield make
    for sidecar in started:
        await sidecar.shutdown(grace=0.5)


async def call(sidecar: Sidecar, method: str, request: Any) -> Any:
    """Call one RPC on a sidecar."""
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        return await getattr(pb_grpc.MeteringSidecarStub(channel), method)(request)


async def test_members_sum_into_one_record_and_pending_waits_for_the_cluster(
    cluster: Any, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """Two members' usage for one key and hour is one record; pending_events counts until it is billed."""
    long_lived = {
        "cluster_member_timeout_seconds": 10 * HOUR
    }  # the manual clock jumps hours between heartbeats
    a, b = await cluster("a", **long_lived), await cluster("b", **long_lived)
    clock.set(NEXT + 60)
    await call(
        a, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="a1", quantity=3, tags={"team": "x"}))
    )
    await call(b, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="b1", quantity=4)))
    clock.advance(HOUR)
    await call(a, "Flush", pb.FlushRequest())  # a hands over (and may lead), b has not sealed yet
    if emulator.state.billed():
        pytest.fail("shipped before every live member handed over")
    assert (await call(a, "GetStatus", pb.GetStatusRequest())).pending_events == 1
    await call(b, "Flush", pb.FlushRequest())
    await call(a, "Flush", pb.FlushRequest())
    await call(b, "Flush", pb.FlushRequest())
    [billed] = emulator.state.billed()
    assert billed["quantity"] == 7
    assert billed["allocations"] == [
        {"AllocatedUsageQuantity": 3, "Tags": [{"Key": "team", "Value": "x"}]},
        {"AllocatedUsageQuantity": 4},
    ]
    for member in (a, b):
        await call(member, "Flush", pb.FlushRequest())
        assert (await call(member, "GetStatus", pb.GetStatusRequest())).pending_events == 0


async def test_deadline_closes_a_window_a_live_member_never_handed_over(
    cluster: Any, clock: ManualClock, emulator: EmulatorServer, dsn: str
) -> None:
    """A live member stuck before the window holds it only until --cluster-close-deadline-seconds."""
    a = await cluster("a")
    with psycopg.connect(dsn, autocommit=True) as conn:  # a member that heartbeats but never seals
        conn.execute("INSERT INTO ms_members VALUES ('stuck', %s, 0, NULL)", (NEXT + 10 * HOUR,))
    clock.set(NEXT + 60)
    await call(a, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="x", quantity=5)))
    clock.advance(HOUR)
    await call(a, "Flush", pb.FlushRequest())
    assert emulator.state.billed() == []
    clock.set(NEXT + HOUR + 1800)
    await call(a, "Flush", pb.FlushRequest())
    assert [r["quantity"] for r in emulator.state.billed()] == [5]


async def test_a_new_disk_under_a_reused_instance_id_is_a_new_contributor(
    cluster: Any, clock: ManualClock, tmp_path: Path, emulator: EmulatorServer, dsn: str
) -> None:
    """An instance id reused with a new disk: its own incarnation, so both disks' usage bills, no conflict."""
    first = await cluster("same", db=str(tmp_path / "disk1.db"))
    clock.set(NEXT + 60)
    await call(first, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="one", quantity=1)))
    clock.advance(HOUR)
    await call(first, "Flush", pb.FlushRequest())
    await first.shutdown(grace=0.5)
    clock.set(NEXT - 600)  # the new disk's fresh start leaves the same window open
    second = await cluster("same", db=str(tmp_path / "disk2.db"))
    clock.set(NEXT + 60)
    await call(second, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="two", quantity=2)))
    clock.advance(HOUR)
    await call(second, "Flush", pb.FlushRequest())
    clock.advance(HOUR)  # the first disk's window was shipped: this usage rolls into the next one
    for _ in range(2):
        await call(second, "Flush", pb.FlushRequest())
    assert second.cluster is not None
    assert second.cluster.conflicts == 0
    assert sorted(r["quantity"] for r in emulator.state.billed()) == [1, 2]
    assert [tuple(r) for r in await second.store.db.execute_fetchall("SELECT state FROM records")] == [
        ("billed",)
    ]
    with psycopg.connect(dsn) as conn:
        incarnations = conn.execute("SELECT DISTINCT incarnation FROM ms_contributions").fetchall()
    assert len(incarnations) == 2


async def test_postgres_down_keeps_ingest_and_readiness(cluster: Any, clock: ManualClock, dsn: str) -> None:
    """With the ledger unreachable, ingest and sealing go on, readiness stays SERVING, the backlog shows."""
    a = await cluster("a", cluster_postgres_dsn=dsn.rsplit(":", 1)[0] + ":1/nowhere")
    clock.set(NEXT + 60)
    await call(a, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="x", quantity=5)))
    clock.advance(HOUR)
    await call(a, "Flush", pb.FlushRequest())
    assert a.cluster is not None
    assert not a.cluster.postgres_up
    assert a.cluster.backlog == 1
    assert a.health.serving
    assert a.metrics.registry.get_sample_value("metering_sidecar_cluster_handover_backlog_records") == 1


async def test_customer_bindings_are_shared_by_the_replicas(
    cluster: Any, emulator: EmulatorServer, dsn: str
) -> None:
    """In cluster mode a license bound through one replica is bound for all; repeats are answered by any."""
    emulator.state.add_tokens({
        "tok": {"CustomerAWSAccountId": "210987654321", "ProductCode": "prod-abc123",
                "LicenseArn": "arn:aws:license-manager::123456789012:license:l-cccccccccccccccc"},
        "tok-again": {"CustomerAWSAccountId": "210987654321", "ProductCode": "prod-abc123",
                      "LicenseArn": "arn:aws:license-manager::123456789012:license:l-cccccccccccccccc"},
    })  # fmt: skip
    a, b = await cluster("a"), await cluster("b")
    first = await call(
        a, "ResolveCustomer", pb.ResolveCustomerRequest(registration_token="tok", tenant_id="t1")
    )
    assert first.new_customer
    again = await call(
        b, "ResolveCustomer", pb.ResolveCustomerRequest(registration_token="tok", tenant_id="t1")
    )
    assert not again.new_customer  # answered from the shared store: AWS would now say expired
    assert emulator.state.stats.resolve_calls == 1
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call(
            b, "ResolveCustomer", pb.ResolveCustomerRequest(registration_token="tok-again", tenant_id="t2")
        )
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    listed = await call(b, "ListCustomers", pb.ListCustomersRequest())
    assert [(c.tenant_id, c.customer_aws_account_id) for c in listed.customers] == [("t1", "210987654321")]
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT COUNT(*) FROM ms_customers").fetchone() == (1,)


async def test_dead_letter_retry_reaches_the_cluster_record(
    cluster: Any, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """In cluster mode, retrying a dead letter re-opens the cluster's record, which then bills."""
    emulator.state.settings.subscribed = frozenset()  # nobody is subscribed yet
    a = await cluster("a")
    clock.set(NEXT + 60)
    await call(a, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="r", quantity=6)))
    clock.advance(HOUR)
    await call(a, "Flush", pb.FlushRequest())  # hand over, freeze, ship: CustomerNotSubscribed
    await call(a, "Flush", pb.FlushRequest())  # the verdict comes back
    [dead] = (await call(a, "ListDeadLetters", pb.ListDeadLettersRequest())).records
    assert dead.reason == "CustomerNotSubscribed"
    emulator.state.settings.subscribed = None  # the customer subscribed
    retried = await call(a, "RetryDeadLetter", pb.RetryDeadLetterRequest(id=dead.id))
    assert retried.record.state == "pending"
    for _ in range(3):
        await call(a, "Flush", pb.FlushRequest())
    assert [r["quantity"] for r in emulator.state.billed()] == [6]
    assert (await call(a, "GetStatus", pb.GetStatusRequest())).pending_events == 0

"""Cluster mode in process, on a real PostgreSQL and the emulator, with the injected clock."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from metering_sidecar import config as config_module
from metering_sidecar._app import Sidecar
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.cluster import PostgresLedger
from metering_sidecar.cluster import _ledger as ledger_module
from metering_sidecar.cluster._ledger import scrub
from metering_sidecar.cluster._pg_session import Sessions
from metering_sidecar.cluster._schema import OLD_SHIPPER_LOCK, V1
from metering_sidecar.core._clock import ManualClock
from metering_sidecar.core._errors import ConfigError, LedgerError
from metering_sidecar.core._model import Outcome, RecordOutcome
from metering_sidecar.emulator import EmulatorServer
from metering_sidecar.store._handover import Contribution
from metering_sidecar.store._sealing import TagGroup, build_record
from metering_sidecar.targets import AZURE_FIELD, AzureTarget, RecordKey

from tests import pg
from tests.conftest import ACCOUNT, HOUR, START, event, fake_session
from tests.procs import free_port, python_m
from tests.tcpproxy import TcpProxy

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
    # A member that heartbeats but never seals. PostgreSQL judges heartbeats on its own clock, the real one,
    # so the heartbeat is in the future of both clocks (as NEXT + 10 h alone it went stale at 21:10 UTC).
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO ms_members VALUES ('stuck', %s, 0, NULL)", (max(NEXT, time.time()) + 10 * HOUR,)
        )
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


def _contribution(record_id: int, window_start: int, quantity: int, customer: str = ACCOUNT) -> Contribution:
    built = build_record(customer_field="CustomerAWSAccountId", customer=customer, dimension="requests",
                         license_arn="", window_start=window_start,
                         groups=[TagGroup("", quantity, window_start * 1000, 1)])  # fmt: skip
    return Contribution(record_id, "prod-abc123", "", "CustomerAWSAccountId", customer, "requests", window_start,
                        quantity, window_start * 1000, 1, built.request_json)  # fmt: skip


def _azure_contribution(record_id: int, window_start: int, resource: str = "resource-1") -> Contribution:
    key = RecordKey("gold", "", AZURE_FIELD, resource, "emails", window_start)
    built = AzureTarget().encode(key, [TagGroup("", 1_500_000, window_start * 1000, 1)])
    return Contribution(record_id, "gold", "", AZURE_FIELD, resource, "emails", window_start, 1_500_000,
                        window_start * 1000, 1, built.request_json)  # fmt: skip


def _ledger(dsn: str, instance: str, **overrides: Any) -> PostgresLedger:
    values: dict[str, Any] = {"window_seconds": HOUR, "expiry_after": 5 * HOUR, "member_timeout": 1.0,
                              "call_timeout": 5.0}  # fmt: skip
    values.update(overrides)
    ledger = PostgresLedger(dsn, instance, **values)
    ledger.incarnation = f"inc-{instance}"
    return ledger


async def test_a_shipper_that_lost_its_lease_can_neither_freeze_nor_apply(dsn: str) -> None:
    """Item 7: the lease lapses after the member timeout; the old holder's freeze and apply are fenced off."""
    old, new = _ledger(dsn, "old"), _ledger(dsn, "new")
    try:
        await old.hand_over([_contribution(1, NEXT, 3)])
        await old.heartbeat(NEXT + 2 * HOUR, NEXT + HOUR)
        assert await old.try_lead()
        assert not await new.try_lead()  # held
        # The old shipper pauses (SIGSTOP, a partition, a long GC) past its lease; the lease lapses.
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("UPDATE ms_lease SET expires_at = clock_timestamp() - interval '1 second'")
        assert await new.try_lead()
        assert await old.freeze(NEXT + 2 * HOUR, member_timeout=10 * HOUR, deadline=1800) == 0
        assert not old.leader
        assert await new.freeze(NEXT + 2 * HOUR, member_timeout=10 * HOUR, deadline=1800) == 1
        [record] = await new.due_records(NEXT + 2 * HOUR)
        await old.apply(
            [RecordOutcome(record.id, Outcome.BILLED, metering_record_id="from-the-old-one")], NEXT
        )
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT state FROM ms_records").fetchall() == [("pending",)]
        await new.apply([RecordOutcome(record.id, Outcome.BILLED, metering_record_id="m-1")], NEXT)
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT state, metering_record_id FROM ms_records").fetchall() == [
                ("billed", "m-1")
            ]
            tokens = conn.execute("SELECT token FROM ms_lease").fetchall()
        assert tokens == [(2,)]  # every take-over a new fencing token
        assert not await old.try_lead()
    finally:
        await old.close()
        await new.close()


async def test_a_version_1_ledger_is_migrated_in_place_and_stays_writable_by_version_1(dsn: str) -> None:
    """Ledger versions: a v1 ledger gets v2 in place; v1 statements still work; a v1 member cannot lead."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in V1:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO ms_contributions (instance_id, product, license_arn, customer_field, customer, dimension, "
            "window_start, quantity, first_event_ms, event_count, request_json, content_sha256) VALUES "
            "('legacy', 'p', '', 'CustomerAWSAccountId', '1', 'd', 0, 1, 0, 1, '{}', 'x')"
        )
    ledger = _ledger(dsn, "new")
    try:
        await ledger.current_identity()
        await ledger.try_lead()
        with psycopg.connect(dsn, autocommit=True) as conn:
            meta: dict[str, str] = dict(conn.execute("SELECT key, value FROM ms_meta").fetchall())
            assert (meta["schema_version"], meta["min_member_version"]) == ("2", "1")
            assert conn.execute("SELECT instance_id, incarnation FROM ms_contributions").fetchall() == [
                ("legacy", "")
            ]
            # What a version-1 member runs: hand-over without an incarnation, its heartbeat upsert, its lock.
            conn.execute(
                "INSERT INTO ms_contributions (instance_id, product, license_arn, customer_field, customer, dimension, "
                "window_start, quantity, first_event_ms, event_count, request_json, content_sha256) VALUES "
                "('legacy', 'p', '', 'CustomerAWSAccountId', '1', 'd', 3600, 1, 0, 1, '{}', 'x') ON CONFLICT DO NOTHING"
            )
            conn.execute(
                "INSERT INTO ms_members (instance_id, heartbeat_s, sealed_through, left_s) VALUES ('legacy', 1, 0, NULL) "
                "ON CONFLICT (instance_id) DO UPDATE SET heartbeat_s = excluded.heartbeat_s"
            )
            assert conn.execute("SELECT COUNT(*) FROM ms_contributions").fetchone() == (2,)
            assert conn.execute("SELECT pg_try_advisory_lock(%s)", (OLD_SHIPPER_LOCK,)).fetchone() == (False,)
    finally:
        await ledger.close()


def test_a_ledger_too_new_for_this_member_exits_2_with_instructions(dsn: str, tmp_path: Path) -> None:
    """Ledger versions: a member older than the ledger's minimum refuses to start, exit 2, saying what to do."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE ms_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO ms_meta VALUES ('schema_version', '9'), ('min_member_version', '9')")
    argv, env = python_m("metering_sidecar", [
        "serve", "--db", str(tmp_path / "old.db"), "--listen", "127.0.0.1:0", "--health-listen", "",
        "--metrics-listen", "", "--product-code", "prod-abc123", "--metering-endpoint-url", "http://127.0.0.1:9",
        "--cluster-postgres-dsn", dsn, "--instance-id", "old-member"], dict(os.environ))  # fmt: skip
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "upgrade this member" in done.stderr


async def test_a_black_holed_postgres_fails_calls_instead_of_hanging(postgres: pg.Postgres, dsn: str) -> None:
    """Item 7: through a proxy that stops forwarding, every call fails within its deadline, then recovers."""
    with TcpProxy("127.0.0.1", postgres.port) as proxy:
        ledger = _ledger(dsn.replace(f":{postgres.port}/", f":{proxy.port}/"), "a", call_timeout=1.0)
        try:
            # A new ledger is migrated first, in a task of its own; a call waits half its timeout for that and
            # then says LedgerMigrating, which a loaded machine can make it say before the pause is the point.
            for _ in range(100):
                try:
                    await ledger.heartbeat(NEXT, NEXT)
                    break
                except LedgerError as exc:
                    if exc.code != "LedgerMigrating":
                        raise
                    await asyncio.sleep(0.1)
            proxy.pause()
            for _ in range(2):  # a call in flight, and a new connection
                with pytest.raises(LedgerError) as info:
                    await ledger.heartbeat(NEXT, NEXT)
                assert info.value.code == "PostgresTimeout"
            proxy.resume()
            await ledger.heartbeat(NEXT, NEXT)
        finally:
            await ledger.close()


def test_a_test_postgres_whose_port_is_taken_first_starts_on_another(monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness itself: another worker binding the picked port before PostgreSQL does (CI's six workers
    did) moves a first start to another port; a restart keeps the dsn."""
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        picks = iter([taken])
        monkeypatch.setattr(pg, "free_port", lambda: next(picks, None) or free_port())
        server = pg.Postgres()
        try:
            assert server.port == taken
            server.start()
            assert server.port != taken
            dsn = server.dsn
            server.stop()
            server.start()
            assert server.dsn == dsn
            with psycopg.connect(dsn) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
        finally:
            server.destroy()


async def test_heartbeats_abandoned_together_replace_only_the_heartbeat_connection(
    postgres: pg.Postgres, dsn: str
) -> None:
    """Two heartbeats that time out on the same connection each abandon it; the second finds it already
    replaced and leaves the RPCs' connection alone (it used to replace that one, leaving it open), and
    neither ends leadership."""
    losses: list[None] = []

    async def prepare(conn: psycopg.AsyncConnection[Any]) -> None:
        pass

    async def select_one(conn: psycopg.AsyncConnection[Any]) -> Any:
        return await (await conn.execute("SELECT 1")).fetchone()

    with TcpProxy("127.0.0.1", postgres.port) as proxy:
        sessions = Sessions(
            dsn.replace(f":{postgres.port}/", f":{proxy.port}/"), call_timeout=1.0, member_timeout=5.0,
            prepare=prepare, lost=lambda: losses.append(None),
        )  # fmt: skip
        try:
            assert await sessions.run(select_one, rpc=True) == (1,)
            assert await sessions.run(select_one, beat=True) == (1,)
            rpc_slot, rpc_conn, beat_slot = sessions._rpc, sessions._rpc.conn, sessions._beat
            assert rpc_conn is not None
            proxy.pause()
            outcomes = await asyncio.gather(
                sessions.run(select_one, beat=True),
                sessions.run(select_one, beat=True),
                return_exceptions=True,
            )
            assert [getattr(o, "code", o) for o in outcomes] == ["PostgresTimeout", "PostgresTimeout"]
            assert sessions._beat is not beat_slot
            assert (sessions._rpc, sessions._rpc.conn, rpc_conn.closed) == (rpc_slot, rpc_conn, False)
            proxy.resume()
            assert await sessions.run(select_one, rpc=True) == (1,)
            assert sessions._rpc.conn is rpc_conn  # the same connection, not a new one
            assert await sessions.run(select_one, beat=True) == (1,)
            assert losses == []
        finally:
            await sessions.close()


async def test_a_member_reports_only_windows_it_handed_over_completely(
    cluster: Any, clock: ManualClock, dsn: str
) -> None:
    """Item 6: sealed but not yet handed over, a window is not reported as handed over."""
    a = await cluster(
        "a", cluster_postgres_dsn=dsn.rsplit(":", 1)[0] + ":1/nowhere"
    )  # PostgreSQL unreachable
    clock.set(NEXT + 60)
    await call(a, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="x", quantity=5)))
    clock.advance(2 * HOUR)
    await call(a, "Flush", pb.FlushRequest())
    assert a.store.watermark == NEXT + 2 * HOUR
    assert await a.store.handed_through() == NEXT  # the sealed record waits for hand-over
    contributions = await a.store.to_hand_over()
    await a.store.mark_handed([c.record_id for c in contributions], ("a", "inc"))
    assert await a.store.handed_through() == NEXT + 2 * HOUR


async def test_a_lost_ledger_rebuilds_and_a_differing_rebuild_is_a_ledger_lost_dead_letter(
    cluster: Any, clock: ManualClock, emulator: EmulatorServer, dsn: str
) -> None:
    """Item 8: after the ledger is lost, handed records are offered again; where a contributor is gone for
    good, AWS refuses the rebuilt record as a duplicate and it becomes a 'ledger-lost' dead letter."""
    long_lived = {"cluster_member_timeout_seconds": 300.0}
    gone, survivor = await cluster("gone", **long_lived), await cluster("survivor", **long_lived)
    clock.set(NEXT + 60)
    await call(gone, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="g", quantity=3)))
    await call(survivor, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="s", quantity=4)))
    clock.advance(HOUR)
    await call(survivor, "Flush", pb.FlushRequest())  # handed over, verdict not yet back
    await call(gone, "Flush", pb.FlushRequest())  # leads: freezes 3 + 4 and bills it
    assert [r["quantity"] for r in emulator.state.billed()] == [7]
    await gone.shutdown(grace=0.5)  # scaled down for good
    with psycopg.connect(dsn, autocommit=True) as conn:  # the ledger is lost: recreated empty
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    for _ in range(2):
        await call(survivor, "Flush", pb.FlushRequest())  # offers its record again; freezing waits for gone
    assert emulator.state.stats.duplicate_records == 0
    _rebuild_hold_ends(dsn)  # gone never comes back: the close deadline ends the wait
    for _ in range(2):
        await call(survivor, "Flush", pb.FlushRequest())
    [dead] = (await call(survivor, "ListDeadLetters", pb.ListDeadLettersRequest())).records
    assert dead.reason == "ledger-lost"
    assert (await call(survivor, "GetStatus", pb.GetStatusRequest())).pending_events == 0


async def test_dead_letter_retry_after_a_rename_reaches_the_cluster_record(
    cluster: Any, clock: ManualClock, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """Item 9: a dead letter handed over under the old --instance-id is retried under that name."""
    emulator.state.settings.subscribed = frozenset()
    db = str(tmp_path / "renamed.db")
    before = await cluster("before", db=db)
    clock.set(NEXT + 60)
    await call(before, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="r", quantity=6)))
    clock.advance(HOUR)
    for _ in range(2):
        await call(before, "Flush", pb.FlushRequest())
    await before.shutdown(grace=0.5)
    after = await cluster("after", db=db)
    [dead] = (await call(after, "ListDeadLetters", pb.ListDeadLettersRequest())).records
    assert dead.reason == "CustomerNotSubscribed"
    emulator.state.settings.subscribed = None
    retried = await call(after, "RetryDeadLetter", pb.RetryDeadLetterRequest(id=dead.id))
    assert retried.record.state == "pending"
    for _ in range(3):
        await call(after, "Flush", pb.FlushRequest())
    assert [r["quantity"] for r in emulator.state.billed()] == [6]
    assert (await call(after, "GetStatus", pb.GetStatusRequest())).pending_events == 0


async def test_an_upgraded_database_keeps_the_legacy_incarnation_so_an_unmarked_hand_over_bills_once(
    cluster: Any, clock: ManualClock, emulator: EmulatorServer, dsn: str, tmp_path: Path
) -> None:
    """Upgrade: the previous version handed a record to the ledger (as incarnation '') and was killed before
    it marked the record handed. Upgraded, the same disk offers it again: it must be the same contribution
    (the legacy incarnation ''), not a second one under a new random incarnation, or freezing adds both."""
    db = tmp_path / "upgraded.db"
    nowhere = dsn.rsplit(":", 1)[0] + ":1/nowhere"
    a = await cluster("a", db=str(db), cluster_postgres_dsn=nowhere)  # seals, cannot hand over
    clock.set(NEXT + 60)
    await call(a, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="x", quantity=5)))
    clock.advance(HOUR)
    await call(a, "Flush", pb.FlushRequest())
    [sealed] = await a.store.to_hand_over()
    await a.shutdown(grace=0.5)
    # The previous version's ledger (schema version 1) holds the contribution, as that version wrote it.
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in V1:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO ms_contributions (instance_id, product, license_arn, customer_field, customer, dimension, "
            "window_start, quantity, first_event_ms, event_count, request_json, content_sha256) VALUES "
            "('a', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (*sealed.key, sealed.quantity, sealed.first_event_ms, sealed.event_count, sealed.request_json,
             sealed.digest),
        )  # fmt: skip
    # The local database as the previous version (local schema version 4) left it: record still pending.
    with sqlite3.connect(db) as local:
        local.execute("DROP INDEX records_to_reoffer")
        for column in ("handed_instance", "handed_incarnation", "reoffer"):
            local.execute(f"ALTER TABLE records DROP COLUMN {column}")
        local.execute("DELETE FROM meta WHERE key IN ('incarnation', 'cluster_ledger')")
        local.execute("PRAGMA user_version = 4")
    upgraded = await cluster("a", db=str(db))
    assert await upgraded.store.incarnation() == ""
    for _ in range(3):
        await call(upgraded, "Flush", pb.FlushRequest())
    assert [r["quantity"] for r in emulator.state.billed()] == [5]
    assert (await call(upgraded, "GetStatus", pb.GetStatusRequest())).pending_events == 0


async def test_a_brand_new_database_gets_a_random_incarnation(cluster: Any, tmp_path: Path) -> None:
    """Only databases from before incarnations keep ''; a new disk is a new contributor."""
    a = await cluster("a", db=str(tmp_path / "new.db"))
    incarnation = await a.store.incarnation()
    assert incarnation != ""
    assert await a.store.incarnation() == incarnation


async def _until_joined(ledger: PostgresLedger, tries: int = 150) -> list[str]:
    """Heartbeat until the ledger answers; return the error codes seen on the way (bounded by tries)."""
    seen: list[str] = []
    for _ in range(tries):
        try:
            await ledger.heartbeat(NEXT, NEXT)
            return seen
        except LedgerError as exc:
            seen.append(exc.code)
            await asyncio.sleep(0.05)
    raise AssertionError(f"never joined: {sorted(set(seen))}")


async def test_a_large_version_1_ledger_migrates_despite_the_statement_timeout(dsn: str) -> None:
    """Item 3: the primary-key change over many contributions outlasts the session's statement timeout; the
    migration runs without it (the key built concurrently), old settled rows are pruned, and the calls in
    the meantime say the ledger is being migrated, not that PostgreSQL is unreachable."""
    rows = 300_000
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in V1:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO ms_records (product, license_arn, customer_field, customer, dimension, window_start, "
            "timestamp_s, quantity, request_json, state, next_attempt_s, expires_s) VALUES "
            "('p', '', 'CustomerAWSAccountId', 'old', 'd', 0, 0, 1, '{}', 'billed', 0, 0)"
        )
        conn.execute(
            "INSERT INTO ms_contributions (instance_id, product, license_arn, customer_field, customer, dimension, "
            "window_start, quantity, first_event_ms, event_count, request_json, content_sha256) SELECT "
            "'member-' || (g % 7), 'prod-abc123', '', 'CustomerAWSAccountId', lpad(g::text, 12, '0'), 'requests', "
            f"{NEXT}, 1, 0, 1, '{{}}', md5(g::text) FROM generate_series(1, {rows}) g"
        )
        # Settled long before the maximum record age: pruned by the migration.
        conn.execute(
            "INSERT INTO ms_contributions (instance_id, product, license_arn, customer_field, customer, dimension, "
            "window_start, quantity, first_event_ms, event_count, request_json, content_sha256, record_id) "
            "SELECT 'member-0', 'p', '', 'CustomerAWSAccountId', 'old', 'd', 0, 1, 0, 1, '{}', 'x', id FROM ms_records"
        )
    ledger = _ledger(dsn, "new", call_timeout=0.3)
    try:
        seen = await _until_joined(ledger)
        # (A call may also outlast its own 0.3 s deadline on a busy machine: PostgresTimeout is fine.)
        assert "LedgerMigrating" in seen, seen
        assert not set(seen) & {"QueryCanceled", "PostgresStatementTimeout", "PostgresUnavailable"}, seen
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT value FROM ms_meta WHERE key = 'schema_version'").fetchone() == ("2",)
            assert conn.execute("SELECT COUNT(*) FROM ms_contributions").fetchone() == (rows,)
            [definition] = conn.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'ms_contributions_pkey'"
            ).fetchone() or ("",)
            assert "incarnation" in definition
            invalid = conn.execute("SELECT COUNT(*) FROM pg_index WHERE NOT indisvalid").fetchone()
            assert invalid == (0,)
    finally:
        await ledger.close()


async def test_a_migration_without_privileges_says_so(postgres: pg.Postgres, dsn: str) -> None:
    """Item 7: a role that may not create the ledger's tables gets a migration error naming the cause."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS weak")
        conn.execute("CREATE ROLE weak LOGIN")
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    weak = dsn.replace("postgres@", "weak@", 1)
    ledger = _ledger(weak, "weak", call_timeout=2.0)
    try:
        errors: list[LedgerError] = []
        for _ in range(100):
            try:
                await ledger.heartbeat(NEXT, NEXT)
            except LedgerError as exc:
                errors.append(exc)
                if exc.code not in ("LedgerMigrating", "PostgresTimeout"):
                    break
            await asyncio.sleep(0.05)
        assert errors[-1].code == "LedgerMigrationRefused", errors
        assert "permission denied" in errors[-1].message
    finally:
        await ledger.close()


def test_dsn_secrets_never_reach_a_message(tmp_path: Path) -> None:
    """Item 7: psycopg quotes a malformed DSN, password included; the sidecar repeats neither."""
    for dsn in (
        "postgresql://meter:s3cr%et@db/ledger",
        "postgresql://meter:s3cret@[db/ledger",
        "host=db password=s3cret bogus=1",
    ):
        with pytest.raises(ConfigError) as info:
            PostgresLedger(dsn, "a", window_seconds=HOUR, expiry_after=HOUR)
        assert "--cluster-postgres-dsn" in str(info.value)
        assert "s3cr" not in str(info.value)
    assert "hunter2" not in scrub("could not connect: postgresql://u:hunter2@h/db password=hunter2",
                                  "postgresql://u:hunter2@h/db")  # fmt: skip
    assert scrub("password='a b' x", "") == "password=*** x"
    argv, env = python_m("metering_sidecar", [
        "serve", "--db", str(tmp_path / "x.db"), "--listen", "127.0.0.1:0", "--health-listen", "",
        "--metrics-listen", "", "--product-code", "prod-abc123", "--metering-endpoint-url", "http://127.0.0.1:9",
        "--instance-id", "a", "--cluster-postgres-dsn", "postgresql://meter:s3cret@[db/ledger"], dict(os.environ))  # fmt: skip
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "--cluster-postgres-dsn" in done.stderr
    assert "s3cr" not in done.stderr + done.stdout


def test_a_dsn_value_postgres_would_always_refuse_exits_2_at_start() -> None:
    """A typo in a fixed-choice DSN parameter (libpq checks those only when connecting, as a connection
    failure) is a configuration error at start, not "PostgreSQL unreachable" for the life of the pod."""
    for dsn, named in (
        ("postgresql://u:pw@127.0.0.1:5432/db?sslmode=bogus", "sslmode='bogus'"),
        ("host=db dbname=ledger target_session_attrs=primry", "target_session_attrs='primry'"),
        ("host=db port=54x32", "port='54x32'"),
    ):
        with pytest.raises(ConfigError) as info:
            PostgresLedger(dsn, "a", window_seconds=HOUR, expiry_after=HOUR)
        assert named in str(info.value), info.value
        assert "pw" not in str(info.value).replace("--cluster-postgres-dsn", "")
    for dsn in (
        "postgresql://u@db/x?sslmode=verify-full",
        "host=a,b port=5432,5433 target_session_attrs=read-write",
    ):
        PostgresLedger(dsn, "a", window_seconds=HOUR, expiry_after=HOUR)  # valid: no error at construction


async def test_a_member_that_shuts_down_announces_it_leaves(
    cluster: Any, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """Item 10: a member shut down gracefully says it leaves, so the shipper does not wait for it."""
    long_lived = {"cluster_member_timeout_seconds": 10 * HOUR}  # without leaving, b would hold every window
    a, b = await cluster("a", **long_lived), await cluster("b", **long_lived)
    await b.shutdown(grace=0.5)
    clock.set(NEXT + 60)
    await call(a, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="x", quantity=5)))
    clock.advance(HOUR)
    for _ in range(2):
        await call(a, "Flush", pb.FlushRequest())
    assert [r["quantity"] for r in emulator.state.billed()] == [5]


def _rebuild_hold_ends(dsn: str) -> None:
    """Make the wait for members to offer again to a lost ledger end, as its close deadline would."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("UPDATE ms_meta SET value = '0' WHERE key = 'rebuild_until'")


async def test_a_member_back_after_its_window_was_rebuilt_without_it_is_not_billed_again(
    cluster: Any, clock: ManualClock, emulator: EmulatorServer, dsn: str
) -> None:
    """Item 2: after the ledger is lost, the rebuild waits for every member seen before; one that comes back
    after its window was rebuilt without it (AWS refused the rebuild: ledger-lost) gets a ledger-lost dead
    letter for its share (probably billed in the lost record), never a second record a window later."""
    long_lived = {"cluster_member_timeout_seconds": 300.0}
    a, b = await cluster("a", **long_lived), await cluster("b", **long_lived)
    clock.set(NEXT + 60)
    await call(a, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="a", quantity=3)))
    await call(b, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="b", quantity=4)))
    clock.advance(HOUR)
    await call(b, "Flush", pb.FlushRequest())  # handed over; b then stalls before the verdict comes back
    await call(a, "Flush", pb.FlushRequest())  # the shipper freezes 3 + 4 and bills it
    assert [r["quantity"] for r in emulator.state.billed()] == [7]
    with psycopg.connect(dsn, autocommit=True) as conn:  # the ledger is lost: recreated empty
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    for _ in range(3):
        await call(a, "Flush", pb.FlushRequest())  # a offers again; the rebuild waits for b
    assert emulator.state.stats.duplicate_records == 0
    _rebuild_hold_ends(dsn)  # b is late past the close deadline: the window is rebuilt without it
    for _ in range(2):
        await call(a, "Flush", pb.FlushRequest())
    assert emulator.state.stats.duplicate_records == 1  # 3 is not the 7 AWS holds: ledger-lost
    await call(b, "Flush", pb.FlushRequest())  # b comes back and offers its 4 units again
    clock.advance(HOUR)  # the next window closes too: a share rolled forward would be billed in it
    for _ in range(3):
        await call(b, "Flush", pb.FlushRequest())
        await call(a, "Flush", pb.FlushRequest())
    assert [r["quantity"] for r in emulator.state.billed()] == [7]
    [dead] = (await call(b, "ListDeadLetters", pb.ListDeadLettersRequest())).records
    assert dead.reason == "ledger-lost"
    for member in (a, b):
        assert (await call(member, "GetStatus", pb.GetStatusRequest())).pending_events == 0


async def test_freezing_locks_only_the_keys_of_its_chunk(dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 9: each freezing transaction reads and locks only the keys it freezes, so a chunk's work stays
    bounded however many contributions are open (here: another key's row is locked by someone else)."""
    monkeypatch.setattr(ledger_module, "FREEZE_CHUNK", 1)
    ledger = _ledger(dsn, "a", call_timeout=2.0, member_timeout=60.0)  # the lease outlives the lock wait
    try:
        await ledger.hand_over([_contribution(1, NEXT, 3, customer="111111111111"),
                                _contribution(2, NEXT, 4, customer="222222222222")])  # fmt: skip
        await ledger.heartbeat(NEXT, NEXT + HOUR)
        assert await ledger.try_lead()
        with psycopg.connect(dsn) as other:  # holds the second key's contribution (a long transaction)
            other.execute("SELECT 1 FROM ms_contributions WHERE customer = '222222222222' FOR UPDATE")
            with pytest.raises(LedgerError):
                await ledger.freeze(NEXT + 2 * HOUR, member_timeout=10 * HOUR, deadline=1800)
            with psycopg.connect(dsn) as conn:
                frozen = conn.execute("SELECT customer, quantity FROM ms_records").fetchall()
            assert frozen == [("111111111111", 3)]  # the first chunk froze; only the locked key waits
        assert await ledger.freeze(NEXT + 2 * HOUR, member_timeout=10 * HOUR, deadline=1800) == 1
    finally:
        await ledger.close()


def test_the_member_timeout_must_exceed_the_aws_call_deadline() -> None:
    """Item 5: with the member timeout no longer than an AWS call may take, a slow call would cost the shipper
    its lease every pass; such a configuration is refused at start."""
    base = {"db": "x.db", "product_code": "prod-abc123", "cluster_postgres_dsn": "postgresql://h/db"}
    with pytest.raises(ConfigError, match="--cluster-member-timeout-seconds"):
        config_module.from_mapping(
            {}, **base, cluster_member_timeout_seconds=30.0, aws_call_deadline_seconds=30.0
        )
    config_module.from_mapping({}, **base)  # the defaults pass


async def test_heartbeat_and_lease_are_kept_between_passes(cluster: Any, dsn: str) -> None:
    """Item 5: no pass for longer than the member timeout (a pass waiting on a slow AWS call): the member's
    heartbeat stays fresh and its shipper lease does not lapse, both judged on PostgreSQL's clock."""
    timeouts = {
        "cluster_member_timeout_seconds": 1.5,
        "aws_timeout_seconds": 1.0,
        "aws_call_deadline_seconds": 1.0,
    }
    a = await cluster("a", **timeouts)
    await call(a, "Flush", pb.FlushRequest())  # one pass: a takes the lease
    assert a.cluster is not None
    assert a.cluster.ledger.leader
    await asyncio.sleep(3 * 1.5)  # no pass at all for three member timeouts
    with psycopg.connect(dsn) as conn:
        fresh = conn.execute(
            "SELECT heartbeat_s > extract(epoch FROM clock_timestamp()) - 1.5 FROM ms_members WHERE instance_id = 'a'"
        ).fetchone()
        lease = conn.execute(
            "SELECT holder LIKE 'a/%', expires_at > clock_timestamp() FROM ms_lease"
        ).fetchone()
    assert fresh == (True,)
    assert lease == (True, True)


def _dump(dsn: str) -> bytes:
    return subprocess.run([str(pg.BIN / "pg_dump"), "--no-owner", dsn], check=True, capture_output=True,
                          timeout=60).stdout  # fmt: skip


def _restore(dsn: str, dump: bytes) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    subprocess.run([str(pg.BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", dsn], input=dump, check=True,
                   capture_output=True, timeout=60)  # fmt: skip


async def test_a_ledger_restored_from_an_old_backup_is_a_loss_though_its_identity_is_the_same(
    cluster: Any, clock: ManualClock, emulator: EmulatorServer, dsn: str
) -> None:
    """Item 6: the restored ledger lacks a window frozen since the backup; members notice that its generation
    went back, offer their records again, and the window is rebuilt identically, so late usage for it rolls
    forward instead of becoming a second record (DuplicateRecord) for a billed hour."""
    long_lived = {"cluster_member_timeout_seconds": 300.0}
    a, b = await cluster("a", **long_lived), await cluster("b", **long_lived)
    clock.set(NEXT + 60)
    await call(a, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="a1", quantity=3)))
    clock.advance(HOUR)
    for member in (b, a, b, a):
        await call(member, "Flush", pb.FlushRequest())
    backup = _dump(dsn)  # the identity row is in it
    await call(a, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="a2", quantity=5)))
    await call(b, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="b2", quantity=2)))
    clock.advance(HOUR + 1800)  # b never hands this hour over: the close deadline freezes a's share alone
    for _ in range(2):
        await call(a, "Flush", pb.FlushRequest())
    assert sorted(r["quantity"] for r in emulator.state.billed()) == [3, 5]
    _restore(dsn, backup)  # the ledger goes back to before the second hour was frozen
    clock.advance(HOUR)
    for _ in range(3):
        await call(a, "Flush", pb.FlushRequest())
        await call(b, "Flush", pb.FlushRequest())  # b's late share for the second hour is handed over now
    clock.advance(HOUR)
    for _ in range(3):
        await call(a, "Flush", pb.FlushRequest())
        await call(b, "Flush", pb.FlushRequest())
    assert emulator.state.stats.duplicate_records == 0
    assert sorted(r["quantity"] for r in emulator.state.billed()) == [2, 3, 5]
    for member in (a, b):
        assert (await call(member, "GetStatus", pb.GetStatusRequest())).pending_events == 0


async def test_the_shipper_prunes_settled_contributions_past_the_maximum_record_age(dsn: str) -> None:
    """Item 3: the ledger does not grow without bound: settled contributions too old for AWS to accept again
    are pruned by the shipper (young ones, and open ones, stay)."""
    ledger = _ledger(dsn, "a", member_timeout=60.0)
    try:
        await ledger.hand_over([_contribution(1, 0, 3), _contribution(2, NEXT, 4, customer="222222222222")])
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO ms_records (id, product, license_arn, customer_field, customer, dimension, window_start, "
                "timestamp_s, quantity, request_json, state, next_attempt_s, expires_s) VALUES (1, 'prod-abc123', "
                f"'', 'CustomerAWSAccountId', '{ACCOUNT}', 'requests', 0, 0, 3, '{{}}', 'billed', 0, 0)"
            )
            conn.execute("UPDATE ms_contributions SET record_id = 1 WHERE window_start = 0")
        assert await ledger.try_lead()
        await ledger.expire(NEXT)
        with psycopg.connect(dsn) as conn:
            left = conn.execute("SELECT window_start FROM ms_contributions").fetchall()
        assert left == [(NEXT,)]
    finally:
        await ledger.close()


async def test_due_records_leave_out_the_marketplaces_that_take_no_calls(dsn: str) -> None:
    """The shipper names the marketplaces it paused; the ledger, which keeps no marketplace column, leaves out
    their targets' customer fields, so a stopped marketplace's records never fill the page."""
    ledger = _ledger(dsn, "a")
    try:
        await ledger.hand_over([_contribution(1, NEXT, 3), _azure_contribution(2, NEXT)])
        await ledger.heartbeat(NEXT + 2 * HOUR, NEXT + HOUR)
        assert await ledger.try_lead()
        assert await ledger.freeze(NEXT + 2 * HOUR, member_timeout=10 * HOUR, deadline=1800) == 2

        async def due(*exclude: str) -> list[str]:
            return sorted(r.marketplace for r in await ledger.due_records(NEXT + 2 * HOUR, exclude=exclude))

        assert await due() == ["aws", "azure"]
        assert await due("azure") == ["aws"]
        assert await due("aws") == ["azure"]
        assert await due("aws", "azure") == []
        assert await due("gcp") == ["aws", "azure"]  # a marketplace without a target leaves nothing out
    finally:
        await ledger.close()


async def test_flush_on_the_elected_shipper_sends_cluster_records_in_backoff(
    cluster: Any, clock: ManualClock, emulator: EmulatorServer, dsn: str
) -> None:
    """After an outage the cluster record waits out its backoff: Flush on another member only hands over (it
    does not ship), Flush on the elected shipper bills the record at once and counts it."""
    settings = {"cluster_member_timeout_seconds": 10 * HOUR, "max_backoff_seconds": 300.0}
    a = await cluster("a", **settings)
    clock.set(NEXT + 60)
    await call(a, "RecordUsage", pb.RecordUsageRequest(event=event(event_id="x", quantity=5)))
    emulator.state.update_faults({"outage": True})
    clock.advance(HOUR)
    assert (await call(a, "Flush", pb.FlushRequest())).retry_records == 1  # a leads; AWS fails
    b = await cluster("b", **settings)
    emulator.state.update_faults({"outage": False})
    with psycopg.connect(dsn) as conn:
        [(waiting,)] = conn.execute(
            "SELECT COUNT(*) FROM ms_records WHERE state = 'pending' AND next_attempt_s > %s", (clock.now(),)
        ).fetchall()
    assert waiting == 1
    assert (await call(b, "Flush", pb.FlushRequest())).billed_records == 0
    assert emulator.state.billed() == []
    # Only the shipper made calls, so only its status says they failed.
    assert (
        "InternalServiceErrorException" in (await call(a, "GetStatus", pb.GetStatusRequest())).shipping_error
    )
    assert (await call(b, "GetStatus", pb.GetStatusRequest())).shipping_error == ""
    assert (await call(a, "Flush", pb.FlushRequest())).billed_records == 1
    assert [r["quantity"] for r in emulator.state.billed()] == [5]
    assert (await call(a, "GetStatus", pb.GetStatusRequest())).shipping_error == ""

"""Operating it: metrics after real traffic, token auth, the Unix socket, operator commands, --ship-from."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import sqlite3
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from metering_sidecar._app import Sidecar
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.cli import _operator as operator_cli
from metering_sidecar.cli._main import _parser
from metering_sidecar.core._clock import ManualClock
from metering_sidecar.emulator import EmulatorServer

from tests.conftest import ACCOUNT, HOUR, OTHER, START, SidecarFactory, advance_and_flush, event
from tests.test_health import http_async

NEXT = (int(START) // HOUR) * HOUR + HOUR


async def cli(target: str, *argv: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run an operator command in-process against ``target``; return exit code and output."""
    args = _parser().parse_args([*argv, "--target", target])
    out = io.StringIO()
    code = await operator_cli.run(args, env or {}, out)
    return code, out.getvalue()


def metric(text: str, name: str) -> float:
    """Return the value of one exposition line, e.g. 'metering_sidecar_records{state="billed"}'."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in /metrics")


async def test_metrics_after_real_traffic(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """/metrics counts ingest by result, records by state, dead letters by reason, AWS calls and shipments."""
    emulator.state.settings.subscribed = frozenset({ACCOUNT})
    clock.set(NEXT + 60)
    for i in range(5):
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id=f"m{i}")))
    await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="m0")))
    await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="x", customer_aws_account_id=OTHER)))
    with pytest.raises(grpc.aio.AioRpcError):
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(quantity=-5)))
    status_before, text = await http_async(sidecar, "/metrics")
    assert status_before == 200
    assert metric(text, 'metering_sidecar_events_received_total{result="accepted"}') == 6
    assert metric(text, 'metering_sidecar_events_received_total{result="duplicate"}') == 1
    assert metric(text, 'metering_sidecar_events_received_total{result="invalid"}') == 1
    assert metric(text, 'metering_sidecar_ingest_latency_seconds_count{rpc="RecordUsage"}') == 8
    await advance_and_flush(clock, stub, HOUR)
    _, text = await http_async(sidecar, "/metrics")
    # One commit a call here (one at a time; the duplicate and the invalid one commit nothing), none held back.
    assert metric(text, "metering_sidecar_ingest_commits_total") == sidecar.store.ingest_commits == 6
    assert metric(text, "metering_sidecar_ingest_delayed_commits_total") == 0
    assert metric(text, 'metering_sidecar_records{state="billed"}') == 1
    assert metric(text, 'metering_sidecar_records{state="dead"}') == 1
    assert metric(text, 'metering_sidecar_dead_letters_total{reason="CustomerNotSubscribed"}') == 1
    assert metric(text, 'metering_sidecar_aws_calls_total{operation="BatchMeterUsage",outcome="ok"}') == 1
    assert metric(text, 'metering_sidecar_aws_call_duration_seconds_count{operation="BatchMeterUsage"}') == 1
    assert metric(text, "metering_sidecar_last_successful_shipment_timestamp_seconds") == int(clock.now())
    assert metric(text, "metering_sidecar_pending_events") == 0
    assert metric(text, "metering_sidecar_max_record_age_seconds") == 21600
    assert metric(text, "metering_sidecar_serving") == 1


async def test_oldest_pending_age_and_rolled_forward_metrics(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock
) -> None:
    """The age of the oldest pending event and rolled-forward events are exported."""
    await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="old")))  # rolls forward (fresh start)
    clock.advance(120)
    await stub.Flush(pb.FlushRequest())
    _, text = await http_async(sidecar, "/metrics")
    assert metric(text, "metering_sidecar_oldest_pending_event_age_seconds") == 120
    assert metric(text, "metering_sidecar_rolled_forward_events") == 1


async def test_token_auth(make_sidecar: SidecarFactory, tmp_path: Path) -> None:
    """With --api-token-file, calls need the bearer token; a wrong one is UNAUTHENTICATED; health needs none."""
    token_file = tmp_path / "token"
    token_file.write_text("s3cr3t-token-value\n")
    sidecar = await make_sidecar(api_token_file=str(token_file))
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        for metadata in [
            (),
            (("authorization", "Bearer wrong"),),
            (("authorization", "s3cr3t-token-value"),),
        ]:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await stub.RecordUsage(pb.RecordUsageRequest(event=event()), metadata=metadata)
            assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        good = (("authorization", "Bearer s3cr3t-token-value"),)
        assert (await stub.RecordUsage(pb.RecordUsageRequest(event=event()), metadata=good)).event_id
        answer = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
    code, out = await cli(sidecar.target, "status", env={"METERING_SIDECAR_API_TOKEN_FILE": str(token_file)})
    assert code == 0
    assert "pending events" in out
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await cli(sidecar.target, "status")
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_missing_token_file_is_a_config_error(make_sidecar: SidecarFactory, tmp_path: Path) -> None:
    """A token file that does not exist or is empty stops start-up with a clear message."""
    from metering_sidecar.core._errors import ConfigError

    with pytest.raises(ConfigError, match="--api-token-file: cannot read"):
        await make_sidecar(api_token_file=str(tmp_path / "missing"))
    (tmp_path / "empty").write_text("  \n")
    with pytest.raises(ConfigError, match="is empty"):
        await make_sidecar(api_token_file=str(tmp_path / "empty"), db=str(tmp_path / "other.db"))


async def test_unix_socket(make_sidecar: SidecarFactory, tmp_path: Path) -> None:
    """--listen unix:///path serves the API on a Unix domain socket."""
    socket_path = tmp_path / "sidecar.sock"
    sidecar = await make_sidecar(listen=f"unix://{socket_path}")
    assert socket_path.exists()
    async with grpc.aio.insecure_channel(f"unix://{socket_path}") as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        answer = await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="via-socket")))
    assert answer.event_id == "via-socket"
    code, out = await cli(sidecar.target, "status")
    assert code == 0
    assert "pending events          1" in out


async def test_records_export_and_dead_letter_commands(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """records export (jsonl, csv, --since), dead-letters list, discard and retry against a running sidecar."""
    emulator.state.settings.subscribed = frozenset({ACCOUNT})
    clock.set(NEXT + 60)
    await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="a", quantity=3)))
    await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="b", customer_aws_account_id=OTHER)))
    await advance_and_flush(clock, stub, HOUR)

    code, out = await cli(sidecar.target, "records", "export")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert {(r["customer_aws_account_id"], r["state"]) for r in rows} == {
        (ACCOUNT, "billed"),
        (OTHER, "dead"),
    }
    billed = next(r for r in rows if r["state"] == "billed")
    assert billed["metering_record_id"] == emulator.state.billed()[0]["metering_record_id"]
    assert billed["quantity"] == 3

    _, out = await cli(sidecar.target, "records", "export", "--format", "csv", "--state", "billed")
    [csv_row] = list(csv.DictReader(io.StringIO(out)))
    assert csv_row["metering_record_id"] == billed["metering_record_id"]
    _, out = await cli(sidecar.target, "records", "export", "--since", "2100-01-01T00:00:00Z")
    assert out == ""

    _, out = await cli(sidecar.target, "dead-letters", "list")
    [dead] = [json.loads(line) for line in out.splitlines()]
    assert dead["reason"] == "CustomerNotSubscribed"

    emulator.state.settings.subscribed = None  # the customer subscribed after all
    code, out = await cli(sidecar.target, "dead-letters", "retry", str(dead["id"]))
    assert json.loads(out)["state"] == "pending"
    assert (await stub.Flush(pb.FlushRequest())).billed_records == 1
    assert len(emulator.state.billed()) == 2


async def test_discard_keeps_the_reason_and_retry_refuses_old_records(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """Discard closes a dead letter with its reason; retry of an expired record is FAILED_PRECONDITION."""
    clock.set(NEXT + 60)
    await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="gone")))
    emulator.state.update_faults({"outage": True})
    await advance_and_flush(clock, stub, 6 * HOUR)  # past the maximum age: expired
    _, out = await cli(sidecar.target, "dead-letters", "list")
    [dead] = [json.loads(line) for line in out.splitlines()]
    assert dead["reason"] == "expired"
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await cli(sidecar.target, "dead-letters", "retry", str(dead["id"]))
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "too old" in (info.value.details() or "")
    _, out = await cli(
        sidecar.target, "dead-letters", "discard", str(dead["id"]), "--reason", "AWS outage, credited"
    )
    assert json.loads(out)["discard_reason"] == "AWS outage, credited"
    _, out = await cli(sidecar.target, "dead-letters", "list")
    assert out == ""
    _, out = await cli(sidecar.target, "dead-letters", "list", "--all")
    assert json.loads(out)["discard_reason"] == "AWS outage, credited"
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await cli(sidecar.target, "dead-letters", "discard", "999", "--reason", "x")
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    status = await stub.GetStatus(pb.GetStatusRequest())
    assert (status.dead_letter_records, status.open_dead_letter_records) == (1, 0)


async def test_discard_needs_a_reason(sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub) -> None:
    """DiscardDeadLetter without a reason is INVALID_ARGUMENT."""
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.DiscardDeadLetter(pb.DiscardDeadLetterRequest(id=1, reason=" "))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_ship_from_records_but_never_ships_earlier_usage(
    make_sidecar: SidecarFactory, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """--ship-from: windows before it are sealed as skipped (never shipped); later windows ship."""
    sidecar = await make_sidecar(ship_from=float(NEXT + HOUR))
    clock.set(NEXT + 60)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="before", quantity=5)))
        await advance_and_flush(clock, stub, HOUR)
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="after", quantity=7)))
        await advance_and_flush(clock, stub, HOUR)
        status = await stub.GetStatus(pb.GetStatusRequest())
    assert (status.skipped_records, status.billed_records, status.pending_events) == (1, 1, 0)
    assert [b["quantity"] for b in emulator.state.billed()] == [7]


def test_ship_from_parses_iso_and_epoch() -> None:
    """--ship-from takes ISO 8601 or epoch seconds and refuses anything else clearly."""
    from metering_sidecar import config as config_module
    from metering_sidecar.core._errors import ConfigError

    parser = argparse.ArgumentParser()
    config_module.add_arguments(parser)
    iso = config_module.build(parser.parse_args(["--ship-from", "2026-11-27T10:00:00Z"]), {})
    assert iso.ship_from == 1795773600.0
    assert config_module.build(parser.parse_args(["--ship-from", "1795773600"]), {}).ship_from == 1795773600.0
    with pytest.raises(ConfigError, match="--ship-from: expected an ISO 8601 time"):
        config_module.build(parser.parse_args(["--ship-from", "next tuesday"]), {})


async def test_health_command_exit_codes(sidecar: Sidecar) -> None:
    """`metering-sidecar health` exits 0 while serving and 1 while draining or unreachable."""
    assert (await cli(sidecar.target, "health"))[0] == 0
    await sidecar.health.drain()
    assert (await cli(sidecar.target, "health"))[0] == 1
    assert (await cli("127.0.0.1:1", "health", "--timeout", "1"))[0] == 1


async def test_a_failing_database_read_is_unavailable_with_a_message(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub
) -> None:
    """A read the database cannot answer (here: a table dropped behind the sidecar's back, as a damaged
    or tampered-with file would) is UNAVAILABLE with what to do, not UNKNOWN with a Python class name."""
    database = sidecar.store.database
    for _ in range(100):  # a read of the sidecar's own loops may hold the table for a moment
        try:
            async with database.write_lock:
                await database.conn.execute("DROP TABLE records")
            break
        except sqlite3.OperationalError:
            await asyncio.sleep(0.05)
    else:
        raise AssertionError("could not drop the table")
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.GetStatus(pb.GetStatusRequest())
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    details = info.value.details() or ""
    assert "database failed to read" in details, details
    assert "no such table" in details, details
    assert "class" not in details

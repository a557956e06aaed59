"""The command line, in-process and as real processes: demo, emulator listing, serve, SIGTERM and log lines."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
import shlex
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.cli._demo import run_demo
from metering_sidecar.cli._logs import JsonFormatter, TextFormatter, configure
from metering_sidecar.core._clock import ManualClock
from metering_sidecar.marketplace import AzureIdentity

from tests.azure_support import CLIENT, SCOPE, TENANT, start_emulator
from tests.cli_run import run_cli
from tests.procs import Emulator, SidecarProcess, _env, python_m


async def test_demo_bills_what_it_records() -> None:
    """`metering-sidecar demo` bills every recorded unit exactly once on the embedded emulator."""
    out = io.StringIO()
    assert await run_demo(window_seconds=2, out=out, events=60) == 0
    text = out.getvalue()
    assert "every recorded unit was billed exactly once" in text
    assert "NO" not in text.split()
    # Both marketplaces bill, and the table says which one billed each line.
    rows = [line.split() for line in text.splitlines() if line.split()[:1] in (["aws"], ["azure"])]
    assert {row[0] for row in rows} == {"aws", "azure"}
    assert all(row[-1] == "yes" for row in rows)
    assert any("." in row[3] for row in rows if row[0] == "azure"), "Azure's fractional quantities are shown"


def test_emulator_lists_billed_records(tmp_path: Path) -> None:
    """`metering-sidecar emulator billed` prints what the emulator billed, as JSON."""
    emulator = Emulator()
    try:
        # The commands run in-process (tests/cli_run.py); the emulator they read stays a real process.
        out = run_cli(["emulator", "billed", "--url", emulator.url])
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout) == []
        stats = run_cli(["emulator", "stats", "--url", emulator.url])
        assert stats.returncode == 0, stats.stderr
        assert json.loads(stats.stdout)["stats"]["calls"] == 0
    finally:
        emulator.stop()


async def test_sigterm_seals_ships_and_exits_zero(tmp_path: Path) -> None:
    """SIGTERM: in-flight work finishes, every window (the open one too) is sealed and shipped, exit 0."""
    emulator = Emulator("--dedup-seconds", "5")
    sidecar = SidecarProcess(
        tmp_path / "term.db", emulator.url, "--window-seconds", "5", "--close-delay-seconds", "1",
        "--flush-interval-seconds", "0.2",
    )  # fmt: skip
    try:
        sidecar.start()
        # A new database treats the current window as sealed: wait for the next, open one.
        await asyncio.sleep(5 - time.time() % 5 + 0.1)
        async with grpc.aio.insecure_channel(sidecar.target) as channel:
            stub = pb_grpc.MeteringSidecarStub(channel)
            events = [pb.UsageEvent(event_id=f"t{i}", customer_aws_account_id="123412341234",
                                    dimension="requests", quantity=2) for i in range(50)]  # fmt: skip
            await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=events))
        assert sidecar.terminate() == 0
        billed = emulator.get("/_emulator/billed")
        assert sum(r["quantity"] for r in billed) == 100
    finally:
        if sidecar.proc and sidecar.proc.poll() is None:
            sidecar.kill()
        emulator.stop()


def test_serve_with_embedded_emulator_starts(tmp_path: Path) -> None:
    """`serve --emulator` runs with short windows and answers GetStatus through `metering-sidecar status`."""
    sidecar = SidecarProcess(tmp_path / "emb.db", "", "--emulator", "--window-seconds", "10")
    for flag in ("--metering-endpoint-url", "--entitlement-endpoint-url"):
        del sidecar.args[sidecar.args.index(flag) : sidecar.args.index(flag) + 2]
    try:
        sidecar.start()
        out = run_cli(["status", "--target", sidecar.target])
        assert out.returncode == 0, out.stderr
        assert "sealed through" in out.stdout
        assert sidecar.terminate() == 0
    finally:
        if sidecar.proc and sidecar.proc.poll() is None:
            sidecar.kill()


def test_damaged_database_stops_serve_with_instructions(tmp_path: Path) -> None:
    """`serve` on a damaged file exits 1 with instructions and leaves the file as it was."""
    db = tmp_path / "broken.db"
    db.write_bytes(b"not sqlite" * 500)
    out = run_cli(["serve", "--db", str(db), "--listen", "127.0.0.1:0"])
    assert out.returncode == 1
    assert "damaged" in out.stderr
    assert db.read_bytes() == b"not sqlite" * 500


def test_db_in_a_missing_directory_exits_2_saying_to_create_it(tmp_path: Path) -> None:
    """`serve --db` in a directory that does not exist: exit 2 naming it and what to do, not a traceback."""
    db = tmp_path / "nodir" / "x.db"
    out = run_cli(["serve", "--db", str(db), "--listen", "127.0.0.1:0"])
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith("metering-sidecar: error: --db:")
    assert f"the directory {db.parent} of {db} does not exist" in out.stderr
    assert "mkdir -p" in out.stderr
    assert "Traceback" not in out.stderr
    assert not db.parent.exists()


def test_db_that_is_a_directory_exits_2_saying_to_give_a_file(tmp_path: Path) -> None:
    """`serve --db DIR`: exit 2 saying it is a directory (not "damaged"), and nothing created beside it."""
    out = run_cli(["serve", "--db", str(tmp_path), "--listen", "127.0.0.1:0"])
    assert out.returncode == 2, out.stderr
    assert f"--db: {tmp_path} is a directory, not a database file" in out.stderr
    assert "damaged" not in out.stderr
    assert not Path(f"{tmp_path}.lock").exists()


def test_db_on_a_read_only_filesystem_exits_2_saying_so(tmp_path: Path) -> None:
    """`serve --db` on a read-only mount (a real one, in a user and mount namespace): exit 2 naming the
    directory and the read-only filesystem, not an OSError traceback."""
    if subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode != 0:
        pytest.skip("unshare -rm (a user and mount namespace) is not available here")
    ro = tmp_path / "ro"
    ro.mkdir()
    argv, env = python_m("metering_sidecar", ["serve", "--db", str(ro / "x.db"), "--listen", "127.0.0.1:0"],
                         _env())  # fmt: skip
    script = f"mount -t tmpfs -o ro tmpfs {shlex.quote(str(ro))} && exec {shlex.join(argv)}"
    out = subprocess.run(["unshare", "-rm", "sh", "-c", script], env=env, capture_output=True, text=True,
                         timeout=60)  # fmt: skip
    assert out.returncode == 2, out.stderr
    assert f"--db: {ro} is on a read-only filesystem" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("argv", [["serve", "--listen", "999.999.1.1:bad"]])
def test_unbindable_listen_address_fails_clearly(argv: list[str], tmp_path: Path) -> None:
    """A --listen address that cannot be bound exits non-zero with the address in the message."""
    out = run_cli([*argv, "--db", str(tmp_path / "x.db")])
    assert out.returncode != 0
    assert "999.999.1.1:bad" in out.stderr


def test_emulator_seeds_tokens_and_entitlements_from_files(tmp_path: Path) -> None:
    """`emulator --tokens-file --entitlements-file` serves ResolveCustomer and GetEntitlements to real boto3."""
    from tests.conftest import fake_session

    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"tokens": {"t1": {"CustomerAWSAccountId": "123", "ProductCode": "p"}},
                                  "expired": ["t0"]}))  # fmt: skip
    entitlements = tmp_path / "entitlements.json"
    entitlements.write_text(
        json.dumps([{"ProductCode": "p", "Dimension": "d", "Value": {"IntegerValue": 3}}])
    )
    emulator = Emulator("--tokens-file", str(tokens), "--entitlements-file", str(entitlements))
    try:
        session = fake_session()
        metering = session.client("meteringmarketplace", endpoint_url=emulator.url)
        assert metering.resolve_customer(RegistrationToken="t1")["CustomerAWSAccountId"] == "123"
        with pytest.raises(metering.exceptions.ExpiredTokenException):
            metering.resolve_customer(RegistrationToken="t0")
        entitlement = session.client("marketplace-entitlement", endpoint_url=emulator.url)
        [got] = entitlement.get_entitlements(ProductCode="p")["Entitlements"]
        assert got["Value"] == {"IntegerValue": 3}
    finally:
        emulator.stop()


def test_emulator_refuses_a_bad_seed_file(tmp_path: Path) -> None:
    """A seed file that is not JSON stops the emulator with exit 2 and the flag in the message."""
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    out = run_cli(["emulator", "--tokens-file", str(bad), "--listen", "127.0.0.1:0"])
    assert out.returncode == 2
    assert "--tokens-file: cannot read" in out.stderr


def test_changed_window_over_an_existing_database_exits_2(tmp_path: Path) -> None:
    """A --window-seconds other than the database's is a configuration error: exit 2, with what to do."""
    db = str(tmp_path / "w.db")
    # The first start creates the database with 10 s windows, then fails to bind its health port (exit 2).
    base = ["serve", "--db", db, "--listen", "127.0.0.1:0", "--metrics-listen", "", "--emulator"]
    first = run_cli([*base, "--window-seconds", "10", "--health-listen", "999.1.1.1:bad"])
    assert first.returncode == 2, first.stderr
    second = run_cli([*base, "--window-seconds", "20", "--health-listen", ""])
    assert second.returncode == 2
    assert "was written with --window-seconds 10, not 20" in second.stderr


def _format(formatter: logging.Formatter, fields: dict[str, Any], message: str = "m") -> str:
    record = logging.makeLogRecord({"name": "sidecar.test", "levelname": "INFO", "msg": message})
    record.fields = fields
    return formatter.format(record)


@dataclasses.dataclass(frozen=True)
class _Result:
    billed: int
    tags: frozenset[str]


def test_logs_mask_secrets_by_key_not_by_substring() -> None:
    """Strings under a secret's key are masked; booleans and numbers about a secret stay visible."""
    fields: dict[str, Any] = {
        "token_auth": True, "fencing_token": 7, "api_token": "s3cret-a", "password": "s3cret-b",
        "SecretAccessKey": "s3cret-c", "x-api-key": "s3cret-d", "credentials": {"AccessKeyId": "AKIA"},
        "nested": {"authorization": "Bearer s3cret-e", "records": 3},
        "url": "postgresql://meter:s3cret-f@db/ledger", "note": "host=db password=s3cret-g sslmode=require",
        "tokenizer": "bpe", "monkey": "see", "PGPASSWORD": "s3cret-i", "sslpassword": "s3cret-j",
    }  # fmt: skip
    line = json.loads(_format(JsonFormatter(), fields, "connect to postgresql://u:s3cret-h@h/db"))
    assert (line["token_auth"], line["fencing_token"], line["tokenizer"], line["monkey"]) == (
        True,
        7,
        "bpe",
        "see",
    )
    for key in (
        "api_token",
        "password",
        "SecretAccessKey",
        "x-api-key",
        "credentials",
        "PGPASSWORD",
        "sslpassword",
    ):
        assert line[key] == "***", key
    assert line["nested"] == {"authorization": "***", "records": 3}
    assert line["url"] == "postgresql://meter:***@db/ledger"
    assert line["note"] == "host=db password=*** sslmode=require"
    assert line["message"] == "connect to postgresql://u:***@h/db"
    text = _format(TextFormatter(), fields)
    assert "s3cret" not in text
    assert "token_auth=true" in text


def test_logs_write_structured_values_as_json() -> None:
    """Dicts, dataclasses, collections and exceptions become JSON objects and arrays, not Python reprs."""
    fields: dict[str, Any] = {
        "result": _Result(2, frozenset({"b", "a"})), "echoed": {"Dimension": "d", "Quantity": 1},
        "ids": ("x", "y"), "error": ValueError("bad"), "path": Path("/tmp/x"),
    }  # fmt: skip
    line = json.loads(_format(JsonFormatter(), fields))
    assert line["result"] == {"billed": 2, "tags": ["a", "b"]}
    assert line["echoed"] == {"Dimension": "d", "Quantity": 1}
    assert (line["ids"], line["path"]) == (["x", "y"], "/tmp/x")
    assert line["error"] == {"type": "ValueError", "message": "bad"}
    assert 'result={"billed": 2, "tags": ["a", "b"]}' in _format(TextFormatter(), fields)


@pytest.fixture
def logger_setup() -> Iterator[None]:
    """Put the loggers that configure() changes back as they were, for the tests that follow."""
    loggers = [logging.getLogger(name) for name in ("sidecar", "azure", "msal", "urllib3")]
    saved = [(list(lg.handlers), lg.level, lg.propagate) for lg in loggers]
    yield
    for lg, (handlers, level, propagate) in zip(loggers, saved, strict=True):
        lg.handlers[:] = handlers
        lg.setLevel(level)
        lg.propagate = propagate


def test_azure_identity_warnings_are_json_lines_with_secrets_masked(
    tmp_path: Path, clock: ManualClock, logger_setup: None
) -> None:
    """azure-identity's and MSAL's warnings come out as the sidecar's JSON lines, scrubbed (not as bare text
    from Python's last-resort handler); their INFO lines stay out."""
    out = io.StringIO()
    configure("info", "json", out)
    emulator = start_emulator(clock)
    wrong = tmp_path / "client-secret"
    wrong.write_text("wrong-secret-value-1234\n")
    try:
        who = AzureIdentity(tenant_id=TENANT, client_id=CLIENT, client_secret_file=str(wrong),
                            authority_host=emulator.azure_authority_host, ca_bundle=emulator.azure_ca_path)  # fmt: skip
        credential = who.credential(5.0)
        with pytest.raises(Exception, match="invalid client secret"):
            credential.get_token(SCOPE)  # azure-identity logs a WARNING of its own
        credential.close()
    finally:
        emulator.stop()
    logging.getLogger("azure.identity._internal.decorators").warning(
        "retry with Authorization: Bearer eyJ0.eyJ1.c2ln and client_secret=hunter2&scope=x"
    )
    logging.getLogger("msal.application").warning('refresh failed: {"refresh_token": "rt-secret-9"}')
    logging.getLogger("azure.core.pipeline").info("an INFO line of a library")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    failed = [line for line in lines if line["logger"].startswith("azure.identity") and "get_token failed"
              in line["message"]]  # fmt: skip
    assert failed, lines
    assert failed[0]["level"] == "warning"
    assert "invalid client secret" in failed[0]["message"]
    messages = [line["message"] for line in lines]
    assert "retry with Authorization: Bearer *** and client_secret=***&scope=x" in messages
    assert 'refresh failed: {"refresh_token": "***"}' in messages
    assert "an INFO line of a library" not in messages
    for secret in ("wrong-secret-value-1234", "eyJ0.eyJ1.c2ln", "hunter2", "rt-secret-9"):
        assert secret not in out.getvalue()

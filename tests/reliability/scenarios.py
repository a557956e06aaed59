"""Reliability scenarios. Each returns a Finding with measured figures; pytest runs the short form and
asserts nothing was lost or duplicated, scripts/reliability.py runs the long form and writes
RELIABILITY.md."""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import grpc
from metering_sidecar import config as config_module
from metering_sidecar._app import Sidecar
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.core._clock import ManualClock

# Re-exported: tests/reliability/test_reliability.py checks every point was hit.
from metering_sidecar.core._faults import POINTS as POINTS
from metering_sidecar.emulator import EmulatorServer, EmulatorSettings, MeteringState

from tests.procs import AWS_PACE, Emulator, SidecarProcess, unmeasured_env
from tests.reliability.load import Load, billed_by_key, compare, key_of

ROOT = Path(__file__).resolve().parents[2]

WINDOW = 2
SHORT_WINDOW_ARGS = ("--window-seconds", str(WINDOW), "--close-delay-seconds", "0.3",
                     "--flush-interval-seconds", "0.1", "--max-backoff-seconds", "0.5")  # fmt: skip


@dataclass
class Finding:
    """What a scenario did and what it lost or duplicated (units of usage; exact decimals for Azure)."""

    scenario: str
    done: str
    acked: int | Decimal = 0
    billed: int | Decimal = 0
    lost: int | Decimal = 0
    duplicated: int | Decimal = 0
    dead_letters: int = 0
    duplicate_records: int = 0
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Nothing lost, nothing duplicated, no DuplicateRecord."""
        return self.lost == 0 and self.duplicated == 0 and self.duplicate_records == 0


def _finish(finding: Finding, acked: Counter[Any], emulator: Emulator) -> Finding:
    billed = billed_by_key(emulator.get("/_emulator/billed"))
    finding.acked, finding.billed = sum(acked.values()), sum(billed.values())
    finding.lost, finding.duplicated = compare(acked, billed)
    finding.duplicate_records = emulator.get("/_emulator/stats")["stats"]["duplicate_records"]
    return finding


async def crash_random(workdir: Path, *, long: bool) -> Finding:
    """SIGKILL at a random moment under concurrent load, shipping to a faulty emulator; after every
    restart, drain and check that billed equals acknowledged.

    Two processes (each with its own faulty emulator and clients) take half the rounds each, side by side:
    a round is mostly waiting for its windows to close, and one process's rounds must follow each other."""
    rounds = 22 if long else 6
    parts = await asyncio.gather(
        *[_crash_rounds(workdir / f"crash{n}.db", rounds // 2, seed=n) for n in range(2)]
    )
    kills = sum(p.figures["kills"] for p in parts)
    finding = Finding("1. crash consistency (random SIGKILL)",
                      f"{kills} SIGKILLs, each followed by a drain and an exact check; "
                      f"{sum(p.figures['sent'] for p in parts)} events from 4 clients per process, "
                      f"{sum(p.figures['retries'] for p in parts)} client retries, "
                      f"{sum(p.figures['dropped'] for p in parts)} answers lost after billing",
                      figures={"kills": kills, "rounds_mismatched": sum(p.figures["rounds_mismatched"] for p in parts)})  # fmt: skip
    for part in parts:
        finding.acked += part.acked
        finding.billed += part.billed
        finding.lost += part.lost
        finding.duplicated += part.duplicated
        finding.duplicate_records += part.duplicate_records
        finding.dead_letters += part.dead_letters
    return finding


async def _crash_rounds(db: Path, rounds: int, seed: int) -> Finding:
    """One process's rounds of crash_random: load, a SIGKILL at a random moment, a restart, a drain and an
    exact check."""
    emulator = Emulator("--dedup-seconds", str(WINDOW), "--throttle-rate", "0.1", "--error-rate", "0.05",
                        "--unprocessed-rate", "0.1", "--drop-rate", "0.1", "--seed", str(11 + seed))  # fmt: skip
    sidecar = SidecarProcess(db, emulator.url, *SHORT_WINDOW_ARGS)
    load, rng, kills, mismatched_rounds = Load("", seed=5 + seed), random.Random(9 + seed), 0, 0
    try:
        sidecar.start()
        load.target = sidecar.target
        for round_number in range(rounds):
            running = asyncio.create_task(load.run(4, 1.5, f"p{seed}r{round_number}"))
            await asyncio.sleep(rng.uniform(0.2, 1.2))
            sidecar.kill()
            kills += 1
            await asyncio.sleep(rng.uniform(0, 0.2))
            sidecar.start()
            await running
            status = await sidecar.drain(within=90)
            lost, duplicated = compare(load.acked, billed_by_key(emulator.get("/_emulator/billed")))
            mismatched_rounds += bool(lost or duplicated or status.pending_events)
        stats = emulator.get("/_emulator/stats")["stats"]
        finding = Finding("", "", figures={"kills": kills, "rounds_mismatched": mismatched_rounds, "sent": load.sent,
                                           "retries": load.retries, "dropped": stats["dropped"]})  # fmt: skip
        finding.dead_letters = (await sidecar.status()).dead_letter_records
        return _finish(finding, load.acked, emulator)
    finally:
        if sidecar.proc and sidecar.proc.poll() is None:
            sidecar.kill()
        emulator.stop()


async def crash_points(workdir: Path, *, long: bool) -> Finding:
    """Exit at each named crash point (ingest, mid-commit, after an AWS call, during sealing), restart.

    The points run side by side, each with its own emulator, process and database: one point's run is
    mostly waiting (for the point, for its windows to close), and none shares anything with another.
    """
    parts = await asyncio.gather(*[_crash_at(point, workdir, long=long) for point in sorted(POINTS)])
    hit = [point for point, (code, _, _, _) in zip(sorted(POINTS), parts, strict=True) if code == 137]
    total_acked: Counter[Any] = Counter()
    finding = Finding("1b. crash consistency (named crash points)", "")
    identical_resends = 0
    for _, part, acked, repeats in parts:
        finding.lost += part.lost
        finding.duplicated += part.duplicated
        finding.duplicate_records += part.duplicate_records
        finding.billed += part.billed
        total_acked.update(acked)
        identical_resends += repeats
    finding.acked = sum(total_acked.values())
    finding.done = (f"{len(hit)} of {len(POINTS)} crash points hit ({', '.join(hit)}); "
                    f"{identical_resends} identical resends answered with the same MeteringRecordId")  # fmt: skip
    finding.figures = {"points_hit": hit, "identical_resends": identical_resends}
    return finding


async def _crash_at(
    point: str, workdir: Path, *, long: bool
) -> tuple[int | None, Finding, Counter[Any], int]:
    """Run load into a process armed to exit at ``point``, restart it on the same disk, drain; return (its
    exit code, what it lost or duplicated, what was acknowledged, identical resends)."""
    emulator = Emulator("--dedup-seconds", str(WINDOW))
    sidecar = SidecarProcess(workdir / f"point-{point}.db", emulator.url, *SHORT_WINDOW_ARGS)
    try:
        sidecar.start(extra_env={"METERING_SIDECAR_CRASH_AT": point})
        load = Load(sidecar.target, seed=len(point))
        running = asyncio.create_task(load.run(2, 6.0 if long else 4.0, point))
        assert sidecar.proc is not None
        try:  # the process exits by itself when it reaches the armed point (a bound, not a timing)
            code: int | None = await asyncio.to_thread(sidecar.proc.wait, 60)
        except subprocess.TimeoutExpired:
            code = None
        sidecar.start()  # the same disk, without the crash point
        await running
        await sidecar.drain(within=60)
        stats = emulator.get("/_emulator/stats")["stats"]
        return code, _finish(Finding(point, ""), load.acked, emulator), load.acked, stats["identical_repeats"]
    finally:
        if sidecar.proc and sidecar.proc.poll() is None:
            sidecar.kill()
        emulator.stop()


async def downstream_faults(workdir: Path, *, long: bool) -> Finding:
    """30% throttling, 10% 5xx, 20% UnprocessedRecords, 10% lost answers, and a full outage for a while."""
    emulator = Emulator("--dedup-seconds", str(WINDOW), "--throttle-rate", "0.3", "--error-rate", "0.1",
                        "--unprocessed-rate", "0.2", "--drop-rate", "0.1", "--seed", "4")  # fmt: skip
    cap = 0.5
    # At AWS's own pace (not the tests' fast one), as for the Azure scenario: records wait in line and meet the
    # outage more than once.
    sidecar = SidecarProcess(workdir / "faults.db", emulator.url, *SHORT_WINDOW_ARGS, *AWS_PACE)
    try:
        sidecar.start()
        # Load starts on a window boundary, so the first window seals (0.3 s after it ends) well inside
        # the outage and its records meet the outage more than once, however start-up time varies.
        await asyncio.sleep(WINDOW - time.time() % WINDOW + 0.05)
        load = Load(sidecar.target, seed=8)
        seconds = 20.0 if long else 6.0
        running = asyncio.create_task(load.run(3, seconds, "f"))
        await asyncio.sleep(seconds / 3)
        emulator.faults(outage=True)
        max_delay, max_attempts = 0.0, 0
        # A third of the load, and on a loaded machine (where sealing may lag) until some record has met
        # the outage twice, for at most 20 s more.
        outage_until = time.monotonic() + seconds / 3
        while time.monotonic() < outage_until or (max_attempts < 2 and time.monotonic() < outage_until + 20):
            await asyncio.sleep(0.2)
            delay, attempts = _backoff_figures(workdir / "faults.db")
            max_delay, max_attempts = max(max_delay, delay), max(max_attempts, attempts)
        emulator.faults(outage=False)
        await running
        emulator.faults(throttle_rate=0, error_rate=0, unprocessed_rate=0, drop_rate=0)
        status = await sidecar.drain(within=60)
        stats = emulator.get("/_emulator/stats")["stats"]
        finding = Finding(
            "2. downstream faults",
            f"{stats['calls']} AWS calls: {stats['throttled']} throttled, {stats['errors']} 5xx (outage "
            f"included), {stats['unprocessed']} records unprocessed, {stats['dropped']} answers lost after "
            f"billing; {load.sent} events",
            dead_letters=status.dead_letter_records,
            figures={"max_scheduled_backoff_s": round(max_delay, 3), "backoff_cap_s": cap,
                     "max_attempts_one_record": max_attempts},
        )  # fmt: skip
        return _finish(finding, load.acked, emulator)
    finally:
        if sidecar.proc and sidecar.proc.poll() is None:
            sidecar.kill()
        emulator.stop()


def _backoff_figures(db: Path) -> tuple[float, int]:
    """Read (longest scheduled wait from now, most attempts) of pending records, as an operator would."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            row = conn.execute(
                "SELECT MAX(next_attempt_s - ?), MAX(attempts) FROM records WHERE state = 'pending'",
                (time.time(),),
            ).fetchone()
    except sqlite3.Error:
        return 0.0, 0
    return float(row[0] or 0.0), int(row[1] or 0)


def _tear(wal: Path) -> None:
    """Append half a frame to the WAL, as a write cut off by a crash leaves it."""
    with wal.open("ab") as handle:
        handle.write(os.urandom(1500))


def _in_process_config(workdir: Path, emulator_url: str, **overrides: Any) -> config_module.Config:
    values: dict[str, Any] = {
        "listen": "127.0.0.1:0", "health_listen": "", "metrics_listen": "127.0.0.1:0",
        "db": str(workdir / "inproc.db"), "product_code": "prod-rel", "close_delay_seconds": 60.0,
        "flush_interval_seconds": 3600.0, "max_backoff_seconds": 0.0, "metering_endpoint_url": emulator_url,
        "entitlement_endpoint_url": emulator_url, "aws_max_attempts": 1,
    }  # fmt: skip
    values.update(overrides)
    return config_module.from_mapping({}, **values)


def _session() -> boto3.Session:
    return boto3.Session(
        aws_access_key_id="AKIDTEST", aws_secret_access_key="test-secret", region_name="us-east-1"
    )


async def long_outage(workdir: Path, *, long: bool) -> Finding:
    """AWS down past the maximum age (injected clock): records become 'expired' dead letters; none vanish."""
    clock = ManualClock(1_795_773_600.0 + 600)
    state = MeteringState(EmulatorSettings(), clock)
    with EmulatorServer(state) as emulator:
        sidecar = Sidecar(_in_process_config(workdir, emulator.url), clock=clock, boto_session=_session())
        await sidecar.start()
        try:
            acked = 0
            clock.advance(3600)  # past the fresh-start window
            state.update_faults({"outage": True})
            async with grpc.aio.insecure_channel(sidecar.target) as channel:
                stub = pb_grpc.MeteringSidecarStub(channel)
                hours = 6 if long else 3
                for hour in range(hours):
                    events = [pb.UsageEvent(event_id=f"o{hour}-{i}", customer_aws_account_id=f"{100 + i % 5}",
                                            dimension="requests", quantity=1 + i % 3) for i in range(200)]  # fmt: skip
                    await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=events))
                    acked += sum(e.quantity for e in events)
                    for _ in range(4):
                        clock.advance(900)
                        await stub.Flush(pb.FlushRequest())
                for _ in range(40):  # keep failing until everything is past the age limit
                    clock.advance(900)
                    await stub.Flush(pb.FlushRequest())
                status = await stub.GetStatus(pb.GetStatusRequest())
            dead = sidecar.store.db
            rows = await dead.execute_fetchall(
                "SELECT reason, COUNT(*), SUM(quantity) FROM records WHERE state = 'dead' GROUP BY reason"
            )
            reasons = {str(r[0]): (int(r[1]), int(r[2])) for r in rows}
            alert = (
                sidecar.metrics.registry.get_sample_value(
                    "metering_sidecar_dead_letters_total", {"reason": "expired"}
                )
                or 0.0
            )
            expired_records, expired_units = reasons.get("expired", (0, 0))
            return Finding(
                "3. long outage past the maximum age",
                f"{hours} hours of usage, AWS down for {hours + 10} hours (injected clock); "
                f"metering_sidecar_dead_letters_total{{reason=\"expired\"}} rose to {int(alert)}",
                acked=acked, billed=0, lost=acked - expired_units, duplicated=max(0, expired_units - acked),
                dead_letters=expired_records,
                figures={"pending_after": status.pending_events, "expired_units": expired_units,
                         "reasons": sorted(reasons)},
            )  # fmt: skip
        finally:
            await sidecar.shutdown(grace=0.5)


async def full_disk(workdir: Path, *, long: bool) -> Finding:
    """Fill the database (max_page_count): RESOURCE_EXHAUSTED, NOT_SERVING, recovery, nothing lost."""
    clock = ManualClock(1_795_773_600.0 + 600)
    state = MeteringState(EmulatorSettings(), clock)
    with EmulatorServer(state) as emulator:
        config = _in_process_config(workdir, emulator.url, max_db_bytes=(400 if long else 200) * 1024)
        sidecar = Sidecar(config, clock=clock, boto_session=_session())
        await sidecar.start()
        try:
            clock.advance(3600)
            acked: Counter[Any] = Counter()
            ok_calls = refused = 0
            not_serving_seen = False
            async with grpc.aio.insecure_channel(sidecar.target) as channel:
                stub = pb_grpc.MeteringSidecarStub(channel)
                for i in range(2000):
                    events = [pb.UsageEvent(event_id=f"d{i}-{j}", customer_aws_account_id=f"{10 + j % 3}",
                                            dimension="x" * 100, quantity=1) for j in range(20)]  # fmt: skip
                    try:
                        await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=events))
                        ok_calls += 1
                        for event in events:
                            acked[key_of(event)] += event.quantity
                    except grpc.aio.AioRpcError as exc:
                        if exc.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                            raise
                        refused += 1
                        await sidecar.health.refresh()
                        not_serving_seen |= not sidecar.health.serving
                        if refused >= 5:
                            break
                stored = int((await stub.GetStatus(pb.GetStatusRequest())).pending_events)
                await sidecar.store.set_max_db_bytes(4 * 1024**3)  # room again
                for _ in range(50):
                    await asyncio.sleep(0.1)
                    if sidecar.health.serving:
                        break
                recovered = sidecar.health.serving
                clock.advance(7200)
                await stub.Flush(pb.FlushRequest())
            billed = billed_by_key(state.billed())
            lost, duplicated = compare(acked, billed)
            return Finding(
                "4. full disk",
                f"{ok_calls} batches acknowledged, then {refused} answered RESOURCE_EXHAUSTED; readiness "
                f"NOT_SERVING: {not_serving_seen}; recovered by itself: {recovered}",
                acked=sum(acked.values()), billed=sum(billed.values()), lost=lost, duplicated=duplicated,
                duplicate_records=state.stats.duplicate_records,
                figures={"acked_events_equal_stored": stored == sum(acked.values()), "recovered": recovered,
                         "not_serving_seen": not_serving_seen},
            )  # fmt: skip
        finally:
            await sidecar.shutdown(grace=0.5)


async def corruption(workdir: Path, *, long: bool) -> Finding:
    """A torn WAL tail after SIGKILL recovers to the last commit; a damaged file is refused, untouched."""
    emulator = Emulator("--dedup-seconds", str(WINDOW))
    db = workdir / "torn.db"
    sidecar = SidecarProcess(db, emulator.url, *SHORT_WINDOW_ARGS)
    tears = 5 if long else 2
    try:
        sidecar.start()
        load = Load(sidecar.target, seed=3)
        for tear in range(tears):
            await load.run(2, 1.0, f"t{tear}")
            sidecar.kill()
            await asyncio.to_thread(_tear, Path(f"{db}-wal"))
            sidecar.start()
        await sidecar.drain(within=60)
        finding = _finish(Finding("5. corruption", ""), load.acked, emulator)
        sidecar.terminate()
        with sqlite3.connect(db) as conn:
            integrity = conn.execute("PRAGMA quick_check").fetchone()[0]
        damaged = workdir / "damaged.db"
        data = bytearray(db.read_bytes())
        # The head of every page but the first (SQLite's 4 KiB pages): a b-tree page's header, so every table and
        # index is damaged where a check must see it. (64 bytes at offset 100 of each page, as before, fell all in
        # unused space when the pages were sparse: a run with fewer events had its damaged file accepted.)
        for offset in range(4096, len(data), 4096):
            data[offset : offset + 64] = b"\xff" * 64
        damaged.write_bytes(bytes(data))
        before = damaged.read_bytes()
        refused = SidecarProcess(damaged, emulator.url)
        try:
            refused.start()
            started = True
        except AssertionError:
            started = False
        message = refused.log.read_text()
        untouched = damaged.read_bytes() == before
        finding.done = (f"{tears} torn WAL tails after SIGKILL, quick_check {integrity!r} after recovery; "
                        f"a damaged file was refused at start-up ({'refused' if not started else 'STARTED'}), "
                        f"left untouched: {untouched}")  # fmt: skip
        finding.figures = {"refused": not started and "is damaged" in message, "untouched": untouched,
                           "integrity": integrity}  # fmt: skip
        return finding
    finally:
        if sidecar.proc and sidecar.proc.poll() is None:
            sidecar.kill()
        emulator.stop()


async def sigterm_under_load(workdir: Path, *, long: bool) -> Finding:
    """SIGTERM while clients send: drain, final shipment, exit 0 within the grace; nothing lost."""
    emulator = Emulator("--dedup-seconds", str(WINDOW))
    grace = 5.0
    runs = 5 if long else 1
    exits: list[tuple[int, float]] = []
    acked: Counter[Any] = Counter()
    try:
        for run in range(runs):
            sidecar = SidecarProcess(workdir / f"term{run}.db", emulator.url, *SHORT_WINDOW_ARGS,
                                     "--shutdown-grace-seconds", str(grace))  # fmt: skip
            sidecar.start()
            await asyncio.sleep(WINDOW - time.time() % WINDOW + 0.05)  # past the fresh-start window
            load = Load(sidecar.target, seed=run)
            running = asyncio.create_task(load.run(4, 1.5, f"s{run}"))
            await asyncio.sleep(1.0)
            started = time.monotonic()
            assert sidecar.proc is not None
            sidecar.proc.send_signal(15)
            code = await asyncio.to_thread(sidecar.proc.wait, 30)
            exits.append((code, time.monotonic() - started))
            running.cancel()
            try:
                await running
            except (asyncio.CancelledError, grpc.aio.AioRpcError):
                pass
            acked.update(load.acked)
        worst = max(t for _, t in exits)
        finding = Finding("7. SIGTERM under load",
                          f"{runs} SIGTERMs under 4 clients; exit codes {sorted({c for c, _ in exits})}, "
                          f"slowest exit {worst:.1f} s (grace {grace:.0f} s)",
                          figures={"exit_codes": [c for c, _ in exits], "slowest_exit_s": round(worst, 2),
                                   "grace_s": grace})  # fmt: skip
        return _finish(finding, acked, emulator)
    finally:
        emulator.stop()


async def clock_trouble(workdir: Path, *, long: bool) -> Finding:
    """The clock jumps backwards and forwards across window boundaries: one record per key and window."""
    start = 1_795_773_600.0 + 600
    clock = ManualClock(start)
    state = MeteringState(EmulatorSettings(), clock)
    jumps = [3600, -5400, 7200, -1800, 600, 3600, -3600, 10800] * (3 if long else 1)
    acked: Counter[Any] = Counter()
    with EmulatorServer(state) as emulator:
        sidecar = Sidecar(_in_process_config(workdir, emulator.url, close_delay_seconds=30.0), clock=clock,
                          boto_session=_session())  # fmt: skip
        await sidecar.start()
        try:
            async with grpc.aio.insecure_channel(sidecar.target) as channel:
                stub = pb_grpc.MeteringSidecarStub(channel)
                for n, jump in enumerate(jumps):
                    clock.advance(jump)
                    events = [pb.UsageEvent(event_id=f"c{n}-{i}", customer_aws_account_id=f"{7 + i % 2}",
                                            dimension="requests", quantity=1 + i) for i in range(10)]  # fmt: skip
                    await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=events))
                    for event in events:
                        acked[key_of(event)] += event.quantity
                    await stub.Flush(pb.FlushRequest())
                clock.advance(4 * 3600)
                await stub.Flush(pb.FlushRequest())
                clock.advance(3600)
                await stub.Flush(pb.FlushRequest())
                status = await stub.GetStatus(pb.GetStatusRequest())
            rows = await sidecar.store.db.execute_fetchall(
                "SELECT COUNT(*) FROM (SELECT product, customer, dimension, window_start, COUNT(*) AS n "
                "FROM records GROUP BY 1, 2, 3, 4 HAVING n > 1)"
            )
            doubled = int(next(iter(rows))[0])
            billed = billed_by_key(state.billed())
            lost, duplicated = compare(acked, billed)
            return Finding(
                "8. clock trouble",
                f"{len(jumps)} clock jumps (largest back {-min(jumps)} s, forward {max(jumps)} s) across window "
                f"boundaries; {status.rolled_forward_events} events rolled forward; {doubled} keys with two "
                "records in one window",
                acked=sum(acked.values()), billed=sum(billed.values()), lost=lost, duplicated=duplicated,
                duplicate_records=state.stats.duplicate_records + doubled,
                figures={"pending_after": status.pending_events, "doubled_windows": doubled},
            )  # fmt: skip
        finally:
            await sidecar.shutdown(grace=0.5)


async def fuzzing(workdir: Path, *, long: bool) -> Finding:
    """Thousands of generated events, valid and not, single and batched, through a `serve` process."""
    from tests.reliability.fuzz import FuzzTally

    emulator = Emulator()
    sidecar = SidecarProcess(workdir / "fuzz.db", emulator.url)
    try:
        sidecar.start()
        fuzzer = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.reliability.fuzz", sidecar.target, str(2500 if long else 300),
            stdout=asyncio.subprocess.PIPE, cwd=ROOT, env=unmeasured_env(),
        )  # fmt: skip
        out, _ = await fuzzer.communicate()
        assert fuzzer.returncode == 0, "the fuzzer failed (its traceback is above)"
        tally = FuzzTally(**json.loads(out.decode().splitlines()[-1]))
        alive = sidecar.proc is not None and sidecar.proc.poll() is None
        status = await sidecar.status()
        statuses = ", ".join(f"{v} {k}" for k, v in sorted(tally.by_status.items()))
        return Finding(
            "6. bad input fuzzing (hypothesis)",
            f"{tally.cases} cases ({statuses}); {len(tally.wrong_status)} wrong answers; "
            f"{tally.stored_invalid} refused events stored; process alive: {alive}",
            lost=len(tally.wrong_status), duplicated=tally.stored_invalid,
            figures={"cases": tally.cases, "wrong": tally.wrong_status[:5], "alive": alive,
                     "pending_events": status.pending_events},
        )  # fmt: skip
    finally:
        if sidecar.proc and sidecar.proc.poll() is None:
            sidecar.kill()
        emulator.stop()


SCENARIOS = [crash_random, crash_points, downstream_faults, long_outage, full_disk, corruption, fuzzing,
             sigterm_under_load, clock_trouble]  # fmt: skip

"""Cluster-mode reliability scenarios: real `serve` processes, a real PostgreSQL (tests/pg.py), the emulator
over HTTP. Each returns a scenarios.Finding; the short form runs in the default suite, the long form with
METERING_SIDECAR_SOAK=1. Every run ends with billed == acknowledged and no DuplicateRecord."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import psycopg
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc

from tests import pg
from tests.procs import Emulator, SidecarProcess
from tests.reliability.load import Load, billed_by_key, compare, key_of
from tests.reliability.scenarios import Finding
from tests.tcpproxy import TcpProxy

WINDOW = 2
MEMBER_TIMEOUT = 6.0  # generous: four test workers on two cores may starve a keep-alive for seconds
# The commit before ledger versions: members of this version take part in the rolling-upgrade scenario.
OLD_COMMIT = "769cf8423b1c4523bdd765415332eafe5235441e"
REPO = Path(__file__).resolve().parents[2]


def cluster_args(window: int = WINDOW, member_timeout: float = MEMBER_TIMEOUT) -> tuple[str, ...]:
    """Return serve flags for a fast cluster against the emulator."""
    return ("--window-seconds", str(window), "--close-delay-seconds", "0.3", "--flush-interval-seconds", "0.2",
            "--max-backoff-seconds", "0.5", "--cluster-member-timeout-seconds", str(member_timeout),
            "--cluster-close-deadline-seconds", "30")  # fmt: skip


def ledger_dsn(server: pg.Postgres, name: str = "ledger", port: int | None = None) -> str:
    """Create an empty database ``name`` and return its DSN (optionally through another port)."""
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@127.0.0.1:{port or server.port}/{name}"


def metric(sidecar: SidecarProcess, name: str) -> float:
    """Read one unlabelled metric of a running sidecar (0 when absent, or while its metrics port is not up).

    SidecarProcess.start returns once the API answers; the metrics port opens a moment later, so a caller
    polling right after a start sees a refused connection: that is "not yet", not a failure.
    """
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{sidecar.metrics_port}/metrics", timeout=5
        ) as response:
            text = response.read().decode()
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ConnectionRefusedError):
            return 0.0
        raise
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def alive(sidecar: SidecarProcess) -> bool:
    """Return whether the process runs."""
    return sidecar.proc is not None and sidecar.proc.poll() is None


async def shipper_among(sidecars: list[SidecarProcess], within: float = 15.0) -> SidecarProcess | None:
    """Return the member that reports being the cluster's shipper, waiting up to ``within`` seconds.

    Metrics are read on a thread: a loaded member can take seconds to answer, and the load this
    scenario runs meanwhile shares this event loop."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for sidecar in sidecars:
            shipper = await asyncio.to_thread(metric, sidecar, "metering_sidecar_cluster_shipper")
            if alive(sidecar) and shipper == 1:
                return sidecar
        await asyncio.sleep(0.1)
    return None


def local_count(db: Path, where: str) -> int:
    """Count local records matching ``where``, read as an operator would (read-only, no locks kept)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2) as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM records WHERE {where}").fetchone()[0])
    except sqlite3.Error:
        return 0


async def wait_for(db: Path, where: str, within: float = 30.0) -> bool:
    """Wait until the local database holds a record matching ``where``."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if local_count(db, where):
            return True
        await asyncio.sleep(0.05)
    return False


async def drain_all(sidecars: list[SidecarProcess], within: float) -> int:
    """Wait until no running member has pending events; return what is still pending."""
    deadline = time.monotonic() + within
    pending = 0
    for sidecar in sidecars:
        if alive(sidecar):
            status = await sidecar.drain(within=max(1.0, deadline - time.monotonic()))
            pending += status.pending_events
    return pending


def finish(finding: Finding, acked: Counter[Any], emulator: Emulator, pending: int) -> Finding:
    """Fill in what was billed, lost and duplicated; one record per key and window comes from the emulator."""
    records = emulator.get("/_emulator/billed")
    billed = billed_by_key(records)
    finding.acked, finding.billed = sum(acked.values()), sum(billed.values())
    finding.lost, finding.duplicated = compare(acked, billed)
    stats = emulator.get("/_emulator/stats")["stats"]
    finding.duplicate_records = stats["duplicate_records"]
    per_slot = Counter(
        (r["customer"], r["dimension"], r["license_arn"], int(r["timestamp"]) // WINDOW) for r in records
    )
    finding.figures.update({"pending_after": pending, "records": len(records),
                            "max_records_per_key_and_window": max(per_slot.values(), default=0),
                            "identical_resends": stats["identical_repeats"]})  # fmt: skip
    return finding


def dead_letters(dbs: list[Path]) -> dict[str, int]:
    """Count open dead letters by reason across members' databases."""
    reasons: Counter[str] = Counter()
    for db in dbs:
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2) as conn:
                for reason, count in conn.execute(
                    "SELECT reason, COUNT(*) FROM records WHERE state = 'dead' GROUP BY 1"
                ):
                    reasons[str(reason)] += int(count)
        except sqlite3.Error:
            pass
    return dict(reasons)


@contextmanager
def cluster_env(
    *emulator_args: str, dedup: int = WINDOW
) -> Iterator[tuple[pg.Postgres, Emulator, list[SidecarProcess]]]:
    """A PostgreSQL, the emulator (with ``emulator_args``), and a list the scenario adds its members to; all
    stopped afterwards."""
    server = pg.Postgres()
    server.start()
    emulator = Emulator("--dedup-seconds", str(dedup), *emulator_args)
    members: list[SidecarProcess] = []
    try:
        yield server, emulator, members
    finally:
        for member in members:
            if member.proc is not None and member.proc.poll() is None:
                member.proc.send_signal(signal.SIGCONT)
                member.kill()
        emulator.stop()
        server.destroy()


def member(workdir: Path, emulator: Emulator, dsn: str, name: str, *, instance: str = "", db: str = "",
           window: int = WINDOW, env: dict[str, str] | None = None, code: Path | None = None,
           member_timeout: float = MEMBER_TIMEOUT, azure: Emulator | None = None) -> SidecarProcess:  # fmt: skip
    """Return (not started) a cluster member on its own disk; ``code``: run the sidecar package found there;
    ``azure``: with Azure on, against that emulator."""
    if code is not None:
        env = {**(env or {}), "PYTHONPATH": str(code)}
    # The member timeout must comfortably exceed the AWS call deadline (the previous release had no deadline),
    # and the Azure one when Azure is on.
    deadlines: tuple[str, ...] = (
        ("--aws-timeout-seconds", "1", "--aws-call-deadline-seconds", "2") if code is None else ()
    )
    if azure is not None:
        deadlines += ("--azure-timeout-seconds", "2", "--azure-call-deadline-seconds", "3")
    # The previous release is the package `sidecar` (renamed since): `-m metering_sidecar` would run this code.
    return SidecarProcess(workdir / (db or f"{name}.db"), emulator.url, *cluster_args(window, member_timeout), *deadlines,
                          "--cluster-postgres-dsn", dsn, "--instance-id", instance or name, env=env, cwd=code,
                          module="metering_sidecar" if code is None else "sidecar", azure=azure)  # fmt: skip


async def load_all(
    loads: Sequence[Load], seconds: float, prefix: str, until: asyncio.Event | None = None
) -> None:
    """Run two clients per load for ``seconds``, or until ``until`` is set if sooner."""
    await asyncio.gather(*[load.run(2, seconds, f"{prefix}{n}", until) for n, load in enumerate(loads)])


def total(loads: list[Load]) -> Counter[Any]:
    """Sum what the loads got acknowledged."""
    acked: Counter[Any] = Counter()
    for load in loads:
        acked.update(load.acked)
    return acked


async def reused_instance_new_disk(workdir: Path, *, long: bool) -> Finding:
    """A member restarted on a new disk under the same --instance-id, within one window: a new contributor."""
    window = 8  # room for two starts and a stop inside one window
    rounds = 3 if long else 1
    with cluster_env(dedup=window) as (server, emulator, members):
        dsn = ledger_dsn(server)
        anchor = member(workdir, emulator, dsn, "anchor", window=window)
        members.append(anchor)
        anchor.start()
        anchor_load = Load(anchor.target, seed=1)
        loads = [anchor_load]
        for disk in range(rounds * 2):
            if disk % 2 == 0:  # each round starts early in a window
                await asyncio.sleep(window - time.time() % window + 0.2)
            pod = member(
                workdir, emulator, dsn, "pod", instance="pod-0", db=f"pod-disk{disk}.db", window=window
            )
            members.append(pod)
            pod.start()
            load = Load(pod.target, seed=10 + disk)
            loads.append(load)
            await asyncio.gather(load.run(2, 0.7, f"d{disk}"), anchor_load.run(1, 0.7, f"a{disk}"))
            if disk < rounds * 2 - 1:
                assert pod.terminate() == 0  # the pod goes; its volume is replaced
        pending = await drain_all(members, within=120)
        finding = Finding("C1. new disk under a reused instance id",
                          f"{rounds * 2} disks under one --instance-id, each pair inside one {window} s window")  # fmt: skip
        finding.figures["dead_letters"] = dead_letters([m.log.with_suffix(".db") for m in members])
        finding.dead_letters = sum(finding.figures["dead_letters"].values())
        return finish(finding, total(loads), emulator, pending)


async def big_handover(workdir: Path, *, long: bool) -> Finding:
    """One member seals more than 5,000 records in one window; another contributes to the last keys."""
    window = 6
    keys = 12_000 if long else 6_000
    # Shipping 6,000 records takes the shipper's pass well past MEMBER_TIMEOUT on a busy machine, and a pass
    # longer than the member timeout gives up the lease (by design: so a wedged shipper hands over); the
    # other member would then resend every frozen record, which is C3's scenario and doubled this one's work.
    # Both members stay up here, so a longer member timeout delays nothing.
    timeout = 60.0
    with cluster_env(dedup=window) as (server, emulator, members):
        dsn = ledger_dsn(server)
        big, small = (member(workdir, emulator, dsn, name, window=window, member_timeout=timeout)
                      for name in ("big", "small"))  # fmt: skip
        members.extend([big, small])
        for sidecar in members:
            sidecar.start()
        await asyncio.sleep(window - time.time() % window + 0.1)  # past the fresh-start window
        window_start = int(time.time() // window) * window
        acked: Counter[Any] = Counter()
        # The small member's keys are the big member's last ones: those the big one hands over last.
        plan = [(big, range(keys)), (small, range(keys - keys // 5, keys))]
        for sidecar, customers in plan:
            async with grpc.aio.insecure_channel(sidecar.target) as channel:
                stub = pb_grpc.MeteringSidecarStub(channel)
                events = [pb.UsageEvent(event_id=f"{sidecar.target}-{i}", customer_aws_account_id=f"{i:012d}",
                                        dimension="requests", quantity=1 + i % 3) for i in customers]  # fmt: skip
                for event in events:
                    event.timestamp.FromSeconds(window_start)
                for start in range(0, len(events), 1000):
                    batch = events[start : start + 1000]
                    await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=batch), timeout=30)
                    for event in batch:
                        acked[key_of(event)] += event.quantity
        pending = await drain_all(members, within=240 if long else 150)
        records = emulator.get("/_emulator/billed")
        outside = sum(1 for r in records if int(r["timestamp"]) // window != window_start // window)
        finding = Finding("C2. more than 5,000 records in one hand-over",
                          f"{keys} keys in one window on one member, {keys // 5} of them also on another")  # fmt: skip
        finding.figures.update({"keys": keys, "records_outside_their_window": outside})
        return finish(finding, acked, emulator, pending)


async def stopped_leader(workdir: Path, *, long: bool) -> Finding:
    """SIGSTOP the shipper for longer than the member timeout, then SIGCONT: another member takes over, and
    the old one neither freezes nor applies any more."""
    cycles = 3 if long else 1
    with cluster_env() as (server, emulator, members):
        dsn = ledger_dsn(server)
        members.extend(member(workdir, emulator, dsn, f"m{i}") for i in range(3))
        for sidecar in members:
            sidecar.start()
        loads = [Load(m.target, seed=n) for n, m in enumerate(members)]
        await load_all(loads, 2.0, "warm")
        took_over, old_still_shipper, billed_while_stopped, fenced = 0, 0, 0, 0
        for cycle in range(cycles):
            leader = await shipper_among(members)
            assert leader is not None, "no shipper"
            others = [m for m in members if m is not leader]
            assert leader.proc is not None
            leader.proc.send_signal(signal.SIGSTOP)
            stopped_at = emulator.get("/_emulator/stats")["stats"]["success"]
            other_loads = [loads[members.index(m)] for m in others]
            running = asyncio.create_task(load_all(other_loads, MEMBER_TIMEOUT + 3, f"s{cycle}"))
            # A bound, not a timing: on CI's loaded machine a take-over once took longer than 14 s.
            took_over += await shipper_among(others, within=MEMBER_TIMEOUT + 30) is not None
            await running
            billed_while_stopped += emulator.get("/_emulator/stats")["stats"]["success"] - stopped_at
            log_before = leader.log.read_text()
            leader.proc.send_signal(signal.SIGCONT)
            # Its first pass after SIGCONT finds the lease gone (give it a few passes, never assert time).
            was_fenced = still_shipper = False
            for _ in range(50):
                await asyncio.sleep(0.1)
                resumed = leader.log.read_text()[len(log_before) :]
                was_fenced = "lost the shipper lease" in resumed or "results are discarded" in resumed
                still_shipper = metric(leader, "metering_sidecar_cluster_shipper") == 1
                if was_fenced and not still_shipper:
                    break
            fenced += was_fenced
            old_still_shipper += still_shipper and any(
                metric(m, "metering_sidecar_cluster_shipper") == 1 for m in others
            )
            await load_all(loads, 1.0, f"c{cycle}")
        pending = await drain_all(members, within=120)
        finding = Finding("C3. a stopped shipper", f"{cycles} SIGSTOPs of the shipper for {MEMBER_TIMEOUT + 3:g} s "
                          f"(member timeout {MEMBER_TIMEOUT:g} s), then SIGCONT")  # fmt: skip
        finding.figures.update({"cycles": cycles, "took_over": took_over, "two_shippers_after_sigcont": old_still_shipper,
                                "billed_while_stopped": billed_while_stopped, "old_shipper_fenced": fenced})  # fmt: skip
        return finish(finding, total(loads), emulator, pending)


async def ledger_recreated(workdir: Path, *, long: bool) -> Finding:
    """The ledger's database is dropped and recreated empty while members hold handed-over records."""
    drops = 2 if long else 1
    with cluster_env() as (server, emulator, members):
        dsn = ledger_dsn(server)
        members.extend(member(workdir, emulator, dsn, f"m{i}") for i in range(3))
        for sidecar in members:
            sidecar.start()
        loads = [Load(m.target, seed=20 + n) for n, m in enumerate(members)]
        handed_at_drop = 0
        for drop in range(drops):
            running = asyncio.create_task(load_all(loads, 3.0, f"b{drop}"))
            await asyncio.sleep(2.0)
            await wait_for(workdir / "m0.db", "state = 'billed'")  # AWS holds records of the ledger to lose
            # Drop the ledger at a moment when members hold handed-over records (they settle fast).
            handed = 0
            for _ in range(400):
                handed = sum(local_count(workdir / f"m{i}.db", "state = 'handed'") for i in range(3))
                if handed:
                    break
                await asyncio.sleep(0.01)
            handed_at_drop += handed
            ledger_dsn(server)  # DROP DATABASE ... WITH (FORCE), CREATE DATABASE: an empty ledger
            await running
        await load_all(loads, 2.0, "after")
        pending = await drain_all(members, within=120)
        finding = Finding("C4. ledger lost and recreated empty",
                          f"{drops} drops of the ledger database under load; {handed_at_drop} records were handed "
                          "over and not yet settled at the drops")  # fmt: skip
        finding.figures["dead_letters"] = dead_letters([workdir / f"m{i}.db" for i in range(3)])
        finding.figures["handed_at_drop"] = handed_at_drop
        finding.dead_letters = sum(finding.figures["dead_letters"].values())
        return finish(finding, total(loads), emulator, pending)


async def postgres_black_hole(workdir: Path, *, long: bool) -> Finding:
    """PostgreSQL behind a proxy that stops forwarding: ingest and sealing go on, shipping resumes after."""
    hole = 30.0 if long else 8.0
    with cluster_env() as (server, emulator, members):
        ledger_dsn(server)
        with TcpProxy("127.0.0.1", server.port) as proxy:
            dsn = f"postgresql://postgres@127.0.0.1:{proxy.port}/ledger"
            # An env var, not a flag: members that do not know it still start, and show the hang.
            env = {"METERING_SIDECAR_CLUSTER_CALL_TIMEOUT_SECONDS": "2"}
            members.extend(member(workdir, emulator, dsn, f"m{i}", env=env) for i in range(2))
            for sidecar in members:
                sidecar.start()
            loads = [Load(m.target, seed=30 + n) for n, m in enumerate(members)]
            await load_all(loads, 2.0, "before")
            before = [(await m.status()).sealed_through.seconds for m in members]
            acked_before = sum(total(loads).values())
            proxy.pause()
            # The short form ends the hole once every member has sealed two windows in it (what it shows),
            # rather than after all of ``hole``; the long form holds it for all of it.
            sealed_enough, opened = asyncio.Event(), time.monotonic()
            in_hole = asyncio.create_task(load_all(loads, hole, "hole", until=sealed_enough))
            while not long and not in_hole.done():
                await asyncio.sleep(0.2)
                now = [(await m.status()).sealed_through.seconds for m in members]
                if min(a - b for a, b in zip(now, before, strict=True)) >= 2 * WINDOW:
                    sealed_enough.set()
            await in_hole
            held = time.monotonic() - opened
            after = [(await m.status()).sealed_through.seconds for m in members]
            acked_in_hole = sum(total(loads).values()) - acked_before
            proxy.resume()
            await load_all(loads, 1.0, "healed")
            pending = await drain_all(members, within=120)
        advanced = min((a - b) // WINDOW for a, b in zip(after, before, strict=True))
        finding = Finding("C5. PostgreSQL black hole",
                          f"the proxy in front of PostgreSQL stopped forwarding for {held:.0f} s under load")  # fmt: skip
        finding.figures.update({"windows_sealed_during_hole": advanced, "acked_during_hole": acked_in_hole})
        return finish(finding, total(loads), emulator, pending)


async def changed_instance_id(workdir: Path, *, long: bool) -> Finding:
    """A member restarted on its disk with another --instance-id while records wait for the cluster's verdict."""
    renames = 3 if long else 1
    with cluster_env() as (server, emulator, members):
        dsn = ledger_dsn(server)
        other = member(workdir, emulator, dsn, "other")
        renamed = member(workdir, emulator, dsn, "renamed", instance="renamed-0")
        members.extend([other, renamed])
        for sidecar in members:
            sidecar.start()
        loads = [Load(other.target, seed=40), Load(renamed.target, seed=41)]
        handed_at_rename = 0
        for n in range(1, renames + 1):
            running = asyncio.create_task(load_all(loads, 3.0, f"r{n}"))
            await asyncio.sleep(1.0)
            await wait_for(workdir / "renamed.db", "state = 'handed'")
            renamed.kill()
            handed_at_rename += local_count(workdir / "renamed.db", "state = 'handed'")
            # Same disk and port (its clients keep retrying), another --instance-id.
            renamed.args[renamed.args.index("--instance-id") + 1] = f"renamed-{n}"
            renamed.start()
            await running
        pending = await drain_all(members, within=120)
        finding = Finding("C6. changed --instance-id",
                          f"{renames} restarts under a new --instance-id with {handed_at_rename} records handed over "
                          "under the old one")  # fmt: skip
        finding.figures["still_handed"] = local_count(
            workdir / "renamed.db", "state IN ('handed', 'pending')"
        )
        finding.figures["handed_at_rename"] = handed_at_rename
        return finish(finding, total(loads), emulator, pending)


def _old_tree(workdir: Path) -> Path:
    """Extract the previous version's code (git archive of OLD_COMMIT) and return its root.

    A missing commit fails the scenario instead of skipping it: CI runs on a full clone, so the history is
    there, and a silent skip would hide that the upgrade path is no longer tested.
    """
    target = workdir / "old"
    target.mkdir(exist_ok=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", OLD_COMMIT, "sidecar"], capture_output=True,
                             timeout=60, check=False)  # fmt: skip
    if archive.returncode != 0:
        raise AssertionError(
            f"the rolling-upgrade scenario runs the previous release from git ({OLD_COMMIT}), which this checkout "
            f"lacks (a shallow clone? fetch with --unshallow): {archive.stderr.decode(errors='replace').strip()}"
        )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True, timeout=60)
    if not (target / "sidecar" / "__main__.py").is_file():
        raise AssertionError(f"{OLD_COMMIT} has no sidecar/__main__.py: not the previous release's layout")
    return target


def _ledger_version(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        if conn.execute("SELECT to_regclass('ms_meta')").fetchone() == (None,):
            return 1
        row = conn.execute("SELECT value FROM ms_meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 1


async def rolling_upgrade(workdir: Path, *, long: bool) -> Finding:
    """Members of the previous version (no ledger version, no incarnations, advisory-lock shipper) are
    replaced one by one by this version under load, on their disks: the ledger is migrated in place and
    both versions bill together, exactly once."""
    old = _old_tree(workdir)
    with cluster_env() as (server, emulator, members):
        dsn = ledger_dsn(server)
        versions = [member(workdir, emulator, dsn, f"m{i}", code=old) for i in range(3)]
        members.extend(versions)
        for sidecar in versions:
            sidecar.start()
        loads = [Load(m.target, seed=50 + n) for n, m in enumerate(versions)]
        await load_all(loads, 2.0, "old")
        version_before = _ledger_version(dsn)  # 1: the previous version knows no ledger versions
        exits, mixed_version, new_shipper_while_mixed = [], 0, False
        remaining = list(range(3))
        while remaining:
            # Upgrade the previous version's shipper first: once a member of this version is connected, no
            # member of the previous version can become the shipper again.
            old_shipper = await shipper_among([versions[i] for i in remaining], within=3)
            i = versions.index(old_shipper) if old_shipper is not None else remaining[0]
            remaining.remove(i)
            exits.append(versions[i].terminate())
            upgraded = member(workdir, emulator, dsn, f"m{i}")
            members.append(upgraded)
            upgraded.start()
            versions[i] = upgraded
            loads[i].target = upgraded.target
            running = asyncio.create_task(load_all(loads, 3.0 if long else 2.0, f"mix{i}"))
            if remaining:
                upgraded_ones = [versions[j] for j in range(3) if j not in remaining]
                new_shipper_while_mixed |= await shipper_among(upgraded_ones, within=3) is not None
            await running
            if len(remaining) == 2:
                mixed_version = _ledger_version(dsn)
        # A pod of the previous version joins the migrated ledger late (a rollback, a stale ReplicaSet).
        late = member(workdir, emulator, dsn, "late", code=old)
        members.append(late)
        late.start()
        loads.append(Load(late.target, seed=59))
        await load_all(loads, 2.0 if long else 1.5, "late")
        late_shipper = metric(late, "metering_sidecar_cluster_shipper")
        pending = await drain_all([*versions, late], within=120)
        finding = Finding("C7. rolling upgrade", "3 members of the previous version replaced one by one under load, "
                          "the shipper first; the ledger was migrated in place while the others still ran the "
                          "previous version; then a previous-version pod joined late")  # fmt: skip
        finding.figures.update({"old_exit_codes": exits, "schema_version_before": version_before,
                                "schema_version_while_mixed": mixed_version,
                                "new_shipper_while_mixed": new_shipper_while_mixed,
                                "late_old_member_shipper": late_shipper})  # fmt: skip
        return finish(finding, total(loads), emulator, pending)


CLUSTER_SCENARIOS = [reused_instance_new_disk, big_handover, stopped_leader, ledger_recreated, postgres_black_hole,
                     changed_instance_id, rolling_upgrade]  # fmt: skip

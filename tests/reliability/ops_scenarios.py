"""Reliability scenarios for ordinary operations: graceful restarts, a second process on one database,
configuration changes between restarts, a hung AWS endpoint. Real `serve` processes and the emulator
process; each returns a Finding (short form in the default suite, long form behind
METERING_SIDECAR_SOAK=1)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc

from tests.procs import Emulator, SidecarProcess, _env, python_m
from tests.reliability.load import Key, Load
from tests.reliability.scenarios import Finding, _finish


def _stamp(seconds: float) -> Any:
    from google.protobuf.timestamp_pb2 import Timestamp

    ts = Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


async def _send(target: str, events: list[pb.UsageEvent], acked: Counter[Key]) -> None:
    """Send each event until acknowledged (same id on every try) and count what was acknowledged."""
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        for event in events:
            for _ in range(100):
                try:
                    await stub.RecordUsage(pb.RecordUsageRequest(event=event), timeout=5)
                    break
                except grpc.aio.AioRpcError as exc:
                    if exc.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED):
                        raise
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError(f"event {event.event_id} never acknowledged")
            acked[(event.customer_aws_account_id, event.dimension, tuple(sorted(event.tags.items())))] += (
                event.quantity
            )


def _stamp_lag(db: Path) -> float:
    """Return the largest (record timestamp - its latest event time), read from the database."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT MAX(r.timestamp_s - e.latest / 1000.0) FROM records r JOIN "
            "(SELECT record_id, MAX(event_ms) AS latest FROM events WHERE record_id IS NOT NULL "
            "GROUP BY record_id) e ON e.record_id = r.id"
        ).fetchone()
    return float(row[0] or 0.0)


def _stop(sidecar: SidecarProcess) -> None:
    if sidecar.proc and sidecar.proc.poll() is None:
        sidecar.kill()


async def graceful_restarts(workdir: Path, *, long: bool) -> Finding:
    """SIGTERM and restart the sidecar several times within one window (a rolling deploy, a crash loop):
    every acknowledged unit is billed, and no record is stamped more than one window after its latest
    event."""
    window = 8
    rounds = 3 if long else 1
    emulator = Emulator("--dedup-seconds", str(window))
    db = workdir / "restarts.db"
    sidecar = SidecarProcess(db, emulator.url, "--window-seconds", str(window), "--close-delay-seconds", "0.3",
                             "--flush-interval-seconds", "0.1", "--max-backoff-seconds", "0.5")  # fmt: skip
    acked: Counter[Key] = Counter()
    restarts, n = 0, 0
    try:
        for _ in range(rounds):
            # Start right after a window begins, so four restarts fit inside it.
            await asyncio.sleep(window - time.time() % window + 0.05)
            for _restart in range(4):
                sidecar.start()
                events = []
                for customer in ("111111111111", "222222222222"):
                    n += 1
                    events.append(pb.UsageEvent(event_id=f"e{n}", customer_aws_account_id=customer,
                                                dimension="requests", quantity=n % 5 + 1,
                                                timestamp=_stamp(time.time())))  # fmt: skip
                await _send(sidecar.target, events, acked)
                assert sidecar.terminate() == 0
                restarts += 1
        sidecar.start()
        status = await sidecar.drain(within=4 * window)
        lag = _stamp_lag(db)
        finding = Finding(
            "10. graceful restarts",
            f"{restarts} SIGTERM restarts, four within each window; the latest record stamp was {lag:.1f} s "
            f"after its last event (window {window} s)",
            dead_letters=status.dead_letter_records,
            figures={"restarts": restarts, "max_stamp_lag_s": round(lag, 3), "window_s": window,
                     "pending_after": status.pending_events},
        )  # fmt: skip
        return _finish(finding, acked, emulator)
    finally:
        _stop(sidecar)
        emulator.stop()


async def second_process(workdir: Path, *, long: bool, hard_link: bool = False) -> Finding:
    """A second `serve` on the same database (a surge rollout, a shared volume, a copy-paste) exits 2 and
    names the holder; the first one goes on and bills everything.

    ``hard_link``: the second is given a hard link to the first one's file (another path, so another
    ``.lock`` file, but the same database); the file is checked intact while the first still serves."""
    emulator = Emulator("--dedup-seconds", "2")
    args = ("--window-seconds", "2", "--close-delay-seconds", "0.3", "--flush-interval-seconds", "0.1")
    db = workdir / "shared.db"
    first = SidecarProcess(db, emulator.url, *args)
    second = SidecarProcess(workdir / "hard.db" if hard_link else db, emulator.url, *args)
    refusals: list[str] = []
    try:
        first.start()
        if hard_link:
            os.link(db, workdir / "hard.db")
        load = Load(first.target, seed=3)
        running = asyncio.create_task(load.run(3, 6.0 if long else 3.0, "s"))
        for _ in range(3 if long else 1):
            await asyncio.sleep(0.5)
            argv, env = python_m("metering_sidecar", ["serve", *second.args], _env())
            out = await asyncio.to_thread(
                subprocess.run, argv, env=env, capture_output=True, text=True, timeout=60
            )
            assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
            refusals.append(out.stderr)
        await running
        status = await first.drain(within=60)
        assert first.proc is not None
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:  # read while the first serves
            check = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
        title = (
            "11b. a second process on a hard link to the database"
            if hard_link
            else "11. a second process on one database"
        )
        finding = Finding(
            title,
            f"{len(refusals)} second `serve` processes refused with exit 2 while the first served "
            f"{load.sent} events",
            dead_letters=status.dead_letter_records,
            figures={"refusals": len(refusals), "holder_pid_named": all(f"pid {first.proc.pid}" in r for r in refusals),
                     "pending_after": status.pending_events, "message": refusals[0].strip(),
                     "first_running": first.proc.poll() is None, "quick_check": check},
        )  # fmt: skip
        return _finish(finding, load.acked, emulator)
    finally:
        _stop(first)
        _stop(second)
        emulator.stop()


async def hard_linked_second_process(workdir: Path, *, long: bool) -> Finding:
    """A second `serve` given a hard link to the first one's database exits 2; the file stays intact."""
    return await second_process(workdir, long=long, hard_link=True)


async def changed_configuration(workdir: Path, *, long: bool) -> Finding:
    """Restart over a database holding unshipped usage with a changed product code, tag-key allow-list and
    window: the window change is refused (exit 2, saying what to run), the others take over; nothing
    acknowledged is lost or stranded."""
    window = 3
    emulator = Emulator("--dedup-seconds", str(window))
    db = workdir / "changes.db"
    base = ("--close-delay-seconds", "0.3", "--flush-interval-seconds", "0.1", "--max-backoff-seconds", "0.5")
    acked: Counter[Key] = Counter()
    products: Counter[str] = Counter()
    refused_window = ""
    steps = [("prod-one", "team"), ("prod-two", "team,site"), ("prod-three", "")]
    sidecar = SidecarProcess(db, emulator.url, "--window-seconds", str(window), *base)
    try:
        n = 0
        for round_number in range(2 if long else 1):
            for product, keys in steps:
                sidecar = SidecarProcess(db, emulator.url, "--window-seconds", str(window), *base,
                                         "--allocation-tag-keys", keys)  # fmt: skip
                sidecar.args[sidecar.args.index("--product-code") + 1] = product
                sidecar.start()
                events = []
                for tags in ({"team": "a"}, {}):
                    if tags and not keys:
                        continue
                    n += 1
                    events.append(pb.UsageEvent(event_id=f"c{n}", customer_aws_account_id="123456789012",
                                                dimension="requests", quantity=n, tags=tags))  # fmt: skip
                    products[product] += n
                await _send(sidecar.target, events, acked)
                sidecar.kill()  # nothing shipped: the next start inherits it all
            if round_number == 0:
                other = SidecarProcess(db, emulator.url, "--window-seconds", str(window * 2), *base)
                argv, env = python_m("metering_sidecar", ["serve", *other.args], _env())
                out = await asyncio.to_thread(
                    subprocess.run, argv, env=env, capture_output=True, text=True, timeout=60
                )
                assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
                refused_window = out.stderr.strip()
        sidecar.start()
        status = await sidecar.drain(within=60)
        billed_products: Counter[str] = Counter()
        for record in emulator.get("/_emulator/billed"):
            billed_products[record["product_code"]] += record["quantity"]
        finding = Finding(
            "12. configuration changes between restarts",
            "restarts with a changed product code and tag-key allow-list took over the stored usage; "
            "a changed window was refused with exit 2",
            dead_letters=status.dead_letter_records,
            figures={"per_product_exact": billed_products == products, "window_refusal": refused_window,
                     "pending_after": status.pending_events},
        )  # fmt: skip
        return _finish(finding, acked, emulator)
    finally:
        _stop(sidecar)
        emulator.stop()


async def through_a_hang(
    sidecar: SidecarProcess,
    load: Load,
    hang: Callable[[bool], None],
    seconds: float,
    *,
    long: bool,
    window: int,
    calls_held: Callable[[], int],
) -> tuple[int, int, pb.GetStatusResponse, float]:
    """Load before, during and after ``seconds`` of a hung marketplace (``hang(True)``, then ``hang(False)``);
    return how far sealing moved on during the hang, the events acknowledged meanwhile, the drained status
    and how long the hang was held. The short form heals the endpoint once sealing has moved two windows on
    and the marketplace holds at least one call (``calls_held()``), rather than after all of ``seconds``; the
    long form holds the hang for all of it. On a loaded machine shipping can lag sealing, so if no call was
    held when the load ends, the hang lasts until one is (at most 30 s more): the scenario must show a call
    that met the hang, not only a hang no call met."""
    await load.run(2, 2.0, "before")
    hang(True)
    before = (await sidecar.status()).sealed_through.seconds
    sent_before = load.sent
    enough, hung_at = asyncio.Event(), time.monotonic()
    during_hang = asyncio.create_task(load.run(2, seconds, "during", until=enough))
    while not long and not during_hang.done():
        await asyncio.sleep(0.2)
        sealed = (await sidecar.status()).sealed_through.seconds - before
        if sealed >= 2 * window and calls_held() >= 1:
            enough.set()
    await during_hang
    for _ in range(150):  # at most 30 s more for a call to meet the hang
        if calls_held() >= 1:
            break
        await asyncio.sleep(0.2)
    during = await sidecar.status()
    held = time.monotonic() - hung_at
    acked_during = load.sent - sent_before
    hang(False)
    await load.run(2, 1.0, "after")
    status = await sidecar.drain(within=120)
    return during.sealed_through.seconds - before, acked_during, status, held


async def hung_endpoint(workdir: Path, *, long: bool) -> Finding:
    """The AWS endpoint accepts connections and never answers for a while: sealing goes on (sealed_through
    moves), ingest keeps acknowledging, and everything is billed once after it heals."""
    window = 2
    emulator = Emulator("--dedup-seconds", str(window))
    sidecar = SidecarProcess(workdir / "hang.db", emulator.url, "--window-seconds", str(window),
                             "--close-delay-seconds", "0.3", "--flush-interval-seconds", "0.1",
                             "--max-backoff-seconds", "0.5", "--aws-timeout-seconds", "30",
                             "--aws-call-deadline-seconds", "60")  # fmt: skip
    try:
        sidecar.start()
        hang_seconds = 20.0 if long else 8.0
        load = Load(sidecar.target, seed=21)
        advanced, acked_during, status, held = await through_a_hang(
            sidecar,
            load,
            lambda hang: emulator.faults(hang=hang),
            hang_seconds,
            long=long,
            window=window,
            calls_held=lambda: int(emulator.get("/_emulator/stats")["stats"]["hung"]),
        )
        finding = Finding(
            "13. a hung AWS endpoint",
            f"for {held:.0f} s every AWS call hung; sealing moved {advanced} s on and ingest "
            f"acknowledged {acked_during} events meanwhile",
            dead_letters=status.dead_letter_records,
            figures={"sealed_advanced_s": advanced, "acked_during_hang": acked_during,
                     "calls_held": emulator.get("/_emulator/stats")["stats"]["hung"],
                     "pending_after": status.pending_events},
        )  # fmt: skip
        return _finish(finding, load.acked, emulator)
    finally:
        _stop(sidecar)
        emulator.stop()


async def mode_switch(workdir: Path, *, long: bool) -> Finding:
    """Switch one database from cluster mode to single mode while the cluster has not settled its records
    (PostgreSQL down): refused with exit 2 and what to run; after a cluster run settles them, single mode
    takes over. Nothing acknowledged is lost or stranded."""
    from tests.reliability import cluster_scenarios as cs

    db = workdir / "switch.db"
    acked: Counter[Key] = Counter()
    refusals: list[str] = []
    with cs.cluster_env() as (server, emulator, members):
        dsn = cs.ledger_dsn(server)
        clustered = cs.member(workdir, emulator, dsn, "switch")
        members.append(clustered)
        for round_number in range(2 if long else 1):
            clustered.start()
            load = Load(clustered.target, seed=60 + round_number)
            await load.run(2, 1.0, f"c{round_number}")
            server.stop()  # the cluster cannot take hand-overs: sealed records wait in this database
            await load.run(2, 2.5, f"d{round_number}")
            acked.update(load.acked)
            assert clustered.terminate() == 0
            single = SidecarProcess(db, emulator.url, *cs.cluster_args())
            argv, env = python_m("metering_sidecar", ["serve", *single.args], _env())
            out = await asyncio.to_thread(
                subprocess.run, argv, env=env, capture_output=True, text=True, timeout=60
            )
            assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
            refusals.append(out.stderr.strip())
            server.start()
            clustered.start()  # cluster mode again, as the refusal says: it settles what it handed over
            await clustered.drain(within=60)
            assert clustered.terminate() == 0
        single = SidecarProcess(db, emulator.url, *cs.cluster_args())
        members.append(single)
        single.start()  # now single mode takes over the same database
        load = Load(single.target, seed=70)
        await load.run(2, 1.0, "s")
        acked.update(load.acked)
        status = await single.drain(within=60)
        finding = Finding(
            "14. a mode switch over unsettled records",
            f"{len(refusals)} switches from cluster to single mode with records the cluster had not settled "
            "were refused with exit 2; after cluster mode settled them, single mode took the database over",
            dead_letters=status.dead_letter_records,
            figures={"refusals": len(refusals), "message": refusals[0], "pending_after": status.pending_events},
        )  # fmt: skip
        return _finish(finding, acked, emulator)


SCENARIOS = [
    graceful_restarts,
    second_process,
    hard_linked_second_process,
    changed_configuration,
    hung_endpoint,
    mode_switch,
]

"""Reliability scenarios for Azure Marketplace: real `serve` processes with Azure on, against the emulator
process's Azure side (its Entra ID over TLS). SIGKILLs under load, throttling, 5xx, answers dropped after
Azure accepted the event, an outage and a hang; a mixed AWS and Azure run; cluster mode.

Azure answers the resend of an accepted event with Duplicate, never with the original id: every dropped
answer must end billed through the Duplicate rule (the accepted event is the frozen record), not as a dead
letter. Each scenario ends with billed == acknowledged exactly (Decimal), one accepted event per resource,
dimension and hour, and no Duplicate that differed from the record sent."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from tests.procs import AWS_PACE, Emulator, SidecarProcess
from tests.reliability import cluster_scenarios as cs
from tests.reliability.azure_load import AzureKey, AzureLoad, azure_billed, compare_exact, most_per_slot
from tests.reliability.load import billed_by_key, compare
from tests.reliability.ops_scenarios import through_a_hang
from tests.reliability.scenarios import SHORT_WINDOW_ARGS, WINDOW, Finding, _backoff_figures

# Logged (at error) when a Duplicate names an event that is not the record sent: usage NOT billed.
FOREIGN_DUPLICATE_LOG = "Azure answered Duplicate: another usage event"


def azure_emulator(*args: str) -> Emulator:
    """The emulator process with Azure's hour as long as the test window, taking any resource's usage."""
    return Emulator("--dedup-seconds", str(WINDOW), "--azure-auto-subscribe", *args)


def finish_azure(
    finding: Finding, acked: Mapping[AzureKey, Decimal], emulator: Emulator, logs: Sequence[Path]
) -> Finding:
    """Fill in Azure's exact totals, its Duplicate counters and what the sidecars logged about Duplicates."""
    events = emulator.get("/_emulator/azure/billed")
    billed = azure_billed(events)
    finding.acked, finding.billed = sum(acked.values(), Decimal(0)), sum(billed.values(), Decimal(0))
    finding.lost, finding.duplicated = compare_exact(acked, billed)
    stats = emulator.azure_stats()
    finding.duplicate_records = stats["conflicting_duplicates"]
    foreign = sum(
        log.read_text(errors="replace").count(FOREIGN_DUPLICATE_LOG) for log in logs if log.exists()
    )
    finding.figures.update({
        "events": len(events), "max_events_per_slot": most_per_slot(events, WINDOW),
        "duplicates_answered": stats["statuses"]["Duplicate"], "identical_repeats": stats["identical_repeats"],
        "conflicting_duplicates": stats["conflicting_duplicates"], "dropped": stats["dropped"],
        "foreign_duplicates_logged": foreign,
    })  # fmt: skip
    return finding


def _stop(*sidecars: SidecarProcess) -> None:
    for sidecar in sidecars:
        if sidecar.proc and sidecar.proc.poll() is None:
            sidecar.kill()


async def crash_random(workdir: Path, *, long: bool) -> Finding:
    """SIGKILL at a random moment under Azure load, with throttling, 5xx and answers dropped after Azure
    accepted; after every restart, drain and check billed == acknowledged exactly."""
    rounds = 22 if long else 4
    emulator = azure_emulator("--azure-throttle-rate", "0.1", "--azure-error-rate", "0.05",
                              "--azure-drop-rate", "0.1", "--seed", "11")  # fmt: skip
    sidecar = SidecarProcess(workdir / "azure-crash.db", emulator.url, *SHORT_WINDOW_ARGS, azure=emulator)
    load, rng, kills, mismatched_rounds = AzureLoad("", seed=5), random.Random(9), 0, 0
    try:
        sidecar.start()
        load.target = sidecar.target
        for round_number in range(rounds):
            emulator.azure_faults(drop_next=1)  # at least one lost answer a round, whatever the dice say
            running = asyncio.create_task(load.run(3, 1.5, f"r{round_number}"))
            await asyncio.sleep(rng.uniform(0.2, 1.2))
            sidecar.kill()
            kills += 1
            await asyncio.sleep(rng.uniform(0, 0.2))
            sidecar.start()
            await running
            status = await sidecar.drain(within=90)
            lost, duplicated = compare_exact(
                load.azure_acked, azure_billed(emulator.get("/_emulator/azure/billed"))
            )
            mismatched_rounds += bool(lost or duplicated or status.pending_events)
        stats = emulator.azure_stats()
        finding = Finding("A1. Azure crash consistency (random SIGKILL)",
                          f"{kills} SIGKILLs, each followed by a drain and an exact check; {load.sent} Azure events "
                          f"from 3 clients, {stats['throttled']} calls throttled, {stats['errors']} 5xx, "
                          f"{stats['dropped']} answers lost after acceptance",
                          figures={"kills": kills, "rounds_mismatched": mismatched_rounds})  # fmt: skip
        finding.dead_letters = (await sidecar.status()).dead_letter_records
        return finish_azure(finding, load.azure_acked, emulator, [sidecar.log])
    finally:
        _stop(sidecar)
        emulator.stop()


async def downstream_faults(workdir: Path, *, long: bool) -> Finding:
    """30% throttling, 10% 5xx, 15% answers dropped after acceptance, and an outage for a while."""
    emulator = azure_emulator("--azure-throttle-rate", "0.3", "--azure-error-rate", "0.1",
                              "--azure-drop-rate", "0.15", "--seed", "4")  # fmt: skip
    # At AWS's own pace (not the tests' fast one): records wait in line, so some are still being sent when
    # the outage begins and meet it more than once however the machine's load moves the windows' sealing.
    sidecar = SidecarProcess(
        workdir / "azure-faults.db", emulator.url, *SHORT_WINDOW_ARGS, *AWS_PACE, azure=emulator
    )
    try:
        sidecar.start()
        await asyncio.sleep(WINDOW - time.time() % WINDOW + 0.05)  # past the fresh-start window
        load = AzureLoad(sidecar.target, seed=8)
        seconds = 20.0 if long else 6.0
        running = asyncio.create_task(load.run(3, seconds, "f"))
        await asyncio.sleep(seconds / 3)
        emulator.azure_faults(outage=True)
        # The outage lasts a third of the load, and on a loaded machine (where sealing may lag) until some
        # record has met it twice, for at most 20 s more.
        max_attempts, outage_until = 0, time.monotonic() + seconds / 3
        while time.monotonic() < outage_until or (max_attempts < 2 and time.monotonic() < outage_until + 20):
            await asyncio.sleep(0.2)
            max_attempts = max(max_attempts, _backoff_figures(workdir / "azure-faults.db")[1])
        emulator.azure_faults(outage=False, drop_next=2)
        await running
        # The two forced drops land on the next accepted calls; on a loaded machine those may come after the
        # load ends, so the faults are cleared only once they did (clearing them also clears drop_next).
        for _ in range(300):
            if emulator.azure_stats()["dropped"] >= 2:
                break
            await asyncio.sleep(0.2)
        emulator.azure_faults(throttle_rate=0, error_rate=0, drop_rate=0)
        status = await sidecar.drain(within=60)
        stats = emulator.azure_stats()
        finding = Finding(
            "A2. Azure downstream faults",
            f"{stats['calls']} Azure calls answered past the faults; {stats['throttled']} throttled, "
            f"{stats['errors']} 5xx (outage included), {stats['dropped']} answers lost after acceptance, "
            f"{stats['identical_repeats']} resends answered Duplicate and billed; {load.sent} events",
            dead_letters=status.dead_letter_records,
            figures={"pending_after": status.pending_events, "max_attempts_one_record": max_attempts},
        )  # fmt: skip
        return finish_azure(finding, load.azure_acked, emulator, [sidecar.log])
    finally:
        _stop(sidecar)
        emulator.stop()


async def hung_endpoint(workdir: Path, *, long: bool) -> Finding:
    """Azure accepts connections and never answers for a while: sealing goes on, ingest keeps
    acknowledging, and everything is billed once after the hang is cleared."""
    emulator = azure_emulator("--seed", "21")
    sidecar = SidecarProcess(workdir / "azure-hang.db", emulator.url, *SHORT_WINDOW_ARGS,
                             "--azure-timeout-seconds", "30", "--azure-call-deadline-seconds", "60",
                             azure=emulator)  # fmt: skip
    try:
        sidecar.start()
        hang_seconds = 20.0 if long else 8.0
        load = AzureLoad(sidecar.target, seed=21)
        advanced, acked_during, status, held = await through_a_hang(
            sidecar,
            load,
            lambda hang: emulator.azure_faults(hang=hang),
            hang_seconds,
            long=long,
            window=WINDOW,
            calls_held=lambda: int(emulator.azure_stats()["hung"]),
        )
        hung = emulator.azure_stats()["hung"]
        finding = Finding(
            "A3. a hung Azure endpoint",
            f"for {held:.0f} s every Azure call hung ({hung} held); sealing moved {advanced} s on and "
            f"ingest acknowledged {acked_during} events meanwhile",
            dead_letters=status.dead_letter_records,
            figures={"sealed_advanced_s": advanced, "acked_during_hang": acked_during, "calls_held": hung,
                     "pending_after": status.pending_events},
        )  # fmt: skip
        return finish_azure(finding, load.azure_acked, emulator, [sidecar.log])
    finally:
        _stop(sidecar)
        emulator.stop()


def _mixed_finding(finding: Finding, load: AzureLoad, emulator: Emulator, logs: Sequence[Path]) -> Finding:
    """Azure's exact check in the finding's totals; AWS's beside it, compared on its own."""
    finish_azure(finding, load.azure_acked, emulator, logs)
    aws_records = emulator.get("/_emulator/billed")
    aws_lost, aws_duplicated = compare(load.aws_acked, billed_by_key(aws_records))
    aws_stats = emulator.get("/_emulator/stats")["stats"]
    finding.figures.update({
        "aws_acked": sum(load.aws_acked.values()), "aws_lost": aws_lost, "aws_duplicated": aws_duplicated,
        "aws_duplicate_records": aws_stats["duplicate_records"],
        "aws_customers_billed": sorted({r["customer"] for r in aws_records}),
        "azure_resources_billed": sorted({r for r, _ in azure_billed(emulator.get("/_emulator/azure/billed"))}),
    })  # fmt: skip
    return finding


async def mixed_marketplaces(workdir: Path, *, long: bool) -> Finding:
    """AWS and Azure customers through one sidecar, both marketplaces faulty, SIGKILLs between: each
    marketplace bills exactly what was acknowledged for it."""
    rounds = 8 if long else 3
    emulator = azure_emulator("--throttle-rate", "0.1", "--error-rate", "0.05", "--unprocessed-rate", "0.1",
                              "--drop-rate", "0.1", "--azure-throttle-rate", "0.1", "--azure-error-rate", "0.05",
                              "--azure-drop-rate", "0.1", "--seed", "7")  # fmt: skip
    sidecar = SidecarProcess(workdir / "mixed.db", emulator.url, *SHORT_WINDOW_ARGS, azure=emulator)
    load, rng = AzureLoad("", seed=17, aws_share=0.5), random.Random(3)
    try:
        sidecar.start()
        load.target = sidecar.target
        for round_number in range(rounds):
            emulator.azure_faults(drop_next=1)
            running = asyncio.create_task(load.run(4, 2.0, f"m{round_number}"))
            await asyncio.sleep(rng.uniform(0.5, 1.5))
            sidecar.kill()
            sidecar.start()
            await running
        emulator.faults(throttle_rate=0, error_rate=0, unprocessed_rate=0, drop_rate=0)
        status = await sidecar.drain(within=90)
        finding = Finding("A4. AWS and Azure through one sidecar",
                          f"{rounds} SIGKILLs under 4 clients sending both marketplaces' usage ({load.sent} events), "
                          "both marketplaces throttling, failing and losing answers",
                          dead_letters=status.dead_letter_records,
                          figures={"pending_after": status.pending_events})  # fmt: skip
        return _mixed_finding(finding, load, emulator, [sidecar.log])
    finally:
        _stop(sidecar)
        emulator.stop()


async def cluster(workdir: Path, *, long: bool) -> Finding:
    """Three cluster members take AWS and Azure usage for the same customers; the shipper is SIGKILLed
    mid-run and comes back on its disk. Both marketplaces bill the acknowledged totals exactly, one event
    per resource, dimension and hour."""
    kills = 3 if long else 1
    with cs.cluster_env("--azure-auto-subscribe", "--azure-drop-rate", "0.1", "--seed", "5") as (
        server,
        emulator,
        members,
    ):
        dsn = cs.ledger_dsn(server)
        members.extend(cs.member(workdir, emulator, dsn, f"az{i}", azure=emulator) for i in range(3))
        for sidecar in members:
            sidecar.start()
        loads = [AzureLoad(s.target, seed=40 + n, aws_share=0.3) for n, s in enumerate(members)]
        await cs.load_all(loads, 2.0, "a")
        for kill in range(kills):
            shipper = await cs.shipper_among(members)
            assert shipper is not None, "no member became the shipper"
            running = asyncio.create_task(cs.load_all(loads, 3.0, f"k{kill}"))
            await asyncio.sleep(1.0)
            shipper.kill()  # mid-run; another member takes the lease
            others = [s for s in members if s is not shipper]
            taken_over = await cs.shipper_among(others)
            shipper.start()  # back on its own disk; its clients were retrying meanwhile
            await running
        pending = await cs.drain_all(members, within=120)
        finding = Finding("A5. cluster mode with Azure", f"3 members, {kills} shipper SIGKILL(s) mid-run, AWS and "
                          f"Azure usage for the same customers on every member ({sum(x.sent for x in loads)} events)",
                          figures={"pending_after": pending, "taken_over": taken_over is not None})  # fmt: skip
        finding.figures["dead_letters"] = cs.dead_letters([m.log.with_suffix(".db") for m in members])
        finding.dead_letters = sum(finding.figures["dead_letters"].values())
        merged = AzureLoad("", seed=0)
        for load in loads:
            for key, units in load.azure_acked.items():
                merged.azure_acked[key] += units
            merged.aws_acked.update(load.aws_acked)
            merged.sent += load.sent
        return _mixed_finding(finding, merged, emulator, [m.log for m in members])


AZURE_SCENARIOS = [crash_random, downstream_faults, hung_endpoint, mixed_marketplaces, cluster]

"""Run the reliability suite's long form and write RELIABILITY.md from what it measured.

Usage: python scripts/reliability.py [--short] [--out RELIABILITY.md]

Every figure in the report comes from this run; nothing is written by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from metering_sidecar.cli._logs import configure  # noqa: E402

from tests.reliability import adapter_scenarios, azure_scenarios, cluster_scenarios, ops_scenarios  # noqa: E402
from tests.reliability.scenarios import SCENARIOS, Finding  # noqa: E402

ALL_SCENARIOS = [
    *SCENARIOS,
    *ops_scenarios.SCENARIOS,
    *adapter_scenarios.ADAPTER_SCENARIOS,
    *cluster_scenarios.CLUSTER_SCENARIOS,
    *azure_scenarios.AZURE_SCENARIOS,
]


async def _run(long: bool) -> list[tuple[Finding, float]]:
    results = []
    for scenario in ALL_SCENARIOS:
        with tempfile.TemporaryDirectory(prefix="reliability-") as tmp:
            started = time.monotonic()
            print(f"running {scenario.__name__} ...", file=sys.stderr, flush=True)
            finding = await scenario(Path(tmp), long=long)
            results.append((finding, time.monotonic() - started))
            print(f"  {'ok' if finding.ok else 'FAILED'}: {finding.done}", file=sys.stderr, flush=True)
    return results


def render(results: list[tuple[Finding, float]], *, long: bool, runner: str = "") -> str:
    """Return RELIABILITY.md's text for these findings."""
    runner = runner or f"python scripts/reliability.py{'' if long else ' --short'}"
    lines = [
        "# Reliability report",
        "",
        f"Written by `{runner}` on "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; every figure below was measured in that run.",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}.",
        "",
        "Units are units of usage (the sum of event quantities). *Lost*: acknowledged but neither billed by",
        "the emulated AWS nor held in a dead letter with a reason. *Duplicated*: billed (or stored) beyond",
        "what was acknowledged. *DuplicateRecord*: records AWS refused because another record held the hour.",
        "",
        "| scenario | what was done | acknowledged | billed | dead letters | lost | duplicated | DuplicateRecord | time |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for finding, seconds in results:
        lines.append(
            f"| {finding.scenario} | {finding.done} | {finding.acked} | {finding.billed} | {finding.dead_letters} "
            f"| {finding.lost} | {finding.duplicated} | {finding.duplicate_records} | {seconds:.0f} s |"
        )
    lines += [
        "",
        "Notes on reading the table:",
        "",
        "* Scenario 3 bills nothing on purpose (AWS is down past the maximum age): everything acknowledged",
        "  is in a dead letter with reason `expired`, so *lost* counts acknowledged units not found there.",
        "* Scenario 6 counts wrong answers under *lost* and refused events that were stored under",
        "  *duplicated*; both must be 0.",
        "* Scenario 8 counts keys that got two records in one window under *DuplicateRecord*.",
        "",
        "Details per scenario (raw figures):",
        "",
    ]
    for finding, _ in results:
        lines.append(f"* **{finding.scenario}**: `{finding.figures}`")
    verdict = all(f.ok for f, _ in results)
    lines += ["", f"Overall: {'nothing lost, nothing duplicated' if verdict else 'FAILURES, see above'}.", ""]
    return "\n".join(lines)


def main() -> int:
    """Run the scenarios and write the report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--short", action="store_true", help="run the short form (as CI does)")
    parser.add_argument("--out", default=str(ROOT / "RELIABILITY.md"))
    args = parser.parse_args()
    configure("critical", "text")  # in-process sidecars: their expected refusals are not news here
    results = asyncio.run(_run(long=not args.short))
    Path(args.out).write_text(render(results, long=not args.short))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0 if all(f.ok for f, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())

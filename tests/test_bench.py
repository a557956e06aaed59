"""The benchmark harness keeps working: its smoke form runs end to end. It asserts no timings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(300)
def test_bench_smoke_writes_a_report(tmp_path: Path) -> None:
    """`python -m bench --smoke` measures every baseline and the sidecar, and writes the report and chart."""
    out = tmp_path / "BENCHMARKS.md"
    subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out)], cwd=ROOT, check=True, timeout=280
    )
    text = out.read_text()
    for section in (
        "## RecordUsage",
        "## RecordUsageBatch",
        "## Sealing and memory",
        "## Shipping a big hour",
        "## Against the targets",
    ):
        assert section in text
    assert (tmp_path / "benchmarks.png").read_bytes().startswith(b"\x89PNG")
    results = json.loads((tmp_path / "benchmarks.json").read_text())
    assert set(results["unary"]) == {"noop", "naive", "sidecar"}
    assert all(results["unary"][k]["64"]["calls"] > 0 for k in results["unary"])
    assert results["seal"]["records"] > 0
    # The 64-caller target's runs alternate the sidecar as it ships and with --commit-delay-seconds 0.
    assert set(results["repeated"]["unary64"]) == {"noop", "sidecar", "sidecar-undelayed"}
    assert "| sidecar, --commit-delay-seconds 0 |" in text
    for run in results["ship"].values():  # every record billed once, whatever the throttling
        assert (run["keys"], run["duplicate_records"]) == (1000, 0)

"""The reliability suite, short form (the long form: python scripts/reliability.py, or
METERING_SIDECAR_SOAK=1 here). Each scenario must lose and duplicate nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability import scenarios

LONG = os.environ.get("METERING_SIDECAR_SOAK") == "1"


@pytest.mark.timeout(900 if LONG else 240)
async def test_crash_random(tmp_path: Path) -> None:
    """1: random SIGKILLs under load with a faulty AWS: billed == acknowledged per customer, dimension, tags."""
    finding = await scenarios.crash_random(tmp_path, long=LONG)
    assert finding.ok, finding
    assert finding.figures["rounds_mismatched"] == 0
    assert finding.figures["kills"] >= (20 if LONG else 6)
    assert finding.dead_letters == 0


@pytest.mark.timeout(240)
async def test_crash_points(tmp_path: Path) -> None:
    """1: every named crash point is hit, recovered from, and resends are identical (same MeteringRecordId)."""
    finding = await scenarios.crash_points(tmp_path, long=LONG)
    assert finding.ok, finding
    assert sorted(finding.figures["points_hit"]) == sorted(scenarios.POINTS)
    assert finding.figures["identical_resends"] >= 1
    assert finding.acked > 0


@pytest.mark.timeout(240)
async def test_downstream_faults(tmp_path: Path) -> None:
    """2: throttling, 5xx, unprocessed, lost answers, an outage: all billed once, backoff capped, no give-up."""
    finding = await scenarios.downstream_faults(tmp_path, long=LONG)
    assert finding.ok, finding
    assert finding.dead_letters == 0
    assert finding.figures["max_scheduled_backoff_s"] <= finding.figures["backoff_cap_s"] + 0.5
    assert finding.figures["max_attempts_one_record"] >= 2


async def test_long_outage(tmp_path: Path) -> None:
    """3: an outage past the maximum age: every record is an 'expired' dead letter; nothing vanishes."""
    finding = await scenarios.long_outage(tmp_path, long=LONG)
    assert finding.lost == finding.duplicated == 0, finding
    assert finding.dead_letters > 0
    assert finding.figures["reasons"] == ["expired"]
    assert finding.figures["pending_after"] == 0
    assert "rose to" in finding.done


async def test_full_disk(tmp_path: Path) -> None:
    """4: full disk: RESOURCE_EXHAUSTED, NOT_SERVING, recovery by itself, every acknowledged event billed."""
    finding = await scenarios.full_disk(tmp_path, long=LONG)
    assert finding.ok, finding
    assert finding.figures == {"acked_events_equal_stored": True, "recovered": True, "not_serving_seen": True}


@pytest.mark.timeout(240)
async def test_corruption(tmp_path: Path) -> None:
    """5: torn WAL tails recover to the last commit; a damaged file is refused and left untouched."""
    finding = await scenarios.corruption(tmp_path, long=LONG)
    assert finding.ok, finding
    assert finding.figures == {"refused": True, "untouched": True, "integrity": "ok"}


@pytest.mark.timeout(600)
async def test_fuzzing(tmp_path: Path) -> None:
    """6: generated bad input: the right status every time, nothing refused is stored, never a crash."""
    finding = await scenarios.fuzzing(tmp_path, long=LONG)
    assert finding.figures["wrong"] == [], finding.figures["wrong"]
    assert finding.duplicated == 0
    assert finding.figures["alive"]
    assert finding.figures["cases"] >= 600


@pytest.mark.timeout(240)
async def test_sigterm_under_load(tmp_path: Path) -> None:
    """7: SIGTERM under load loses nothing and exits 0 within the grace."""
    finding = await scenarios.sigterm_under_load(tmp_path, long=LONG)
    assert finding.ok, finding
    assert set(finding.figures["exit_codes"]) == {0}
    assert finding.acked > 0


async def test_clock_trouble(tmp_path: Path) -> None:
    """8: clock jumps both ways across windows: one record per key and window, exact totals."""
    finding = await scenarios.clock_trouble(tmp_path, long=LONG)
    assert finding.ok, finding
    assert finding.figures["doubled_windows"] == 0
    assert finding.figures["pending_after"] == 0

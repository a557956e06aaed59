"""Reliability under ordinary operations, short form (the long form: METERING_SIDECAR_SOAK=1, or
python scripts/reliability.py). Each scenario loses and duplicates nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability import ops_scenarios

LONG = os.environ.get("METERING_SIDECAR_SOAK") == "1"


@pytest.mark.timeout(600 if LONG else 180)
async def test_graceful_restarts_within_one_window(tmp_path: Path) -> None:
    """Four SIGTERM restarts in one window: all billed, no record stamped over a window after its last event."""
    finding = await ops_scenarios.graceful_restarts(tmp_path, long=LONG)
    assert finding.ok, finding
    assert finding.acked > 0
    assert finding.figures["pending_after"] == 0
    assert finding.dead_letters == 0
    assert finding.figures["max_stamp_lag_s"] <= finding.figures["window_s"]


@pytest.mark.timeout(300 if LONG else 120)
async def test_second_process_on_one_database_is_refused(tmp_path: Path) -> None:
    """A second serve on the same file exits 2 naming the holder's pid; the first bills everything."""
    finding = await ops_scenarios.second_process(tmp_path, long=LONG)
    assert finding.ok, finding
    assert finding.acked > 0
    assert finding.figures["holder_pid_named"], finding.figures["message"]
    assert "host" in finding.figures["message"]
    assert finding.figures["pending_after"] == 0


@pytest.mark.timeout(300 if LONG else 120)
async def test_second_process_on_a_hard_link_to_the_database_is_refused(tmp_path: Path) -> None:
    """A second serve on a hard link to the served file (its own path and .lock, the same file) exits 2
    naming the holder and the hard link; the first keeps serving and bills everything; the file is intact."""
    finding = await ops_scenarios.hard_linked_second_process(tmp_path, long=LONG)
    assert finding.ok, finding
    assert finding.acked > 0
    assert finding.figures["holder_pid_named"], finding.figures["message"]
    assert "another metering-sidecar serves this database" in finding.figures["message"]
    assert "hard link" in finding.figures["message"]
    assert finding.figures["first_running"]
    assert finding.figures["quick_check"] == ["ok"]
    assert finding.figures["pending_after"] == 0


@pytest.mark.timeout(300 if LONG else 120)
async def test_configuration_changes_strand_nothing(tmp_path: Path) -> None:
    """Changed product code and tag keys take over stored usage; a changed window exits 2 and says what to run."""
    finding = await ops_scenarios.changed_configuration(tmp_path, long=LONG)
    assert finding.ok, finding
    assert finding.figures["per_product_exact"]
    assert finding.figures["pending_after"] == 0
    assert "--window-seconds 3" in finding.figures["window_refusal"]


@pytest.mark.timeout(600 if LONG else 180)
async def test_hung_endpoint_stops_neither_sealing_nor_ingest(tmp_path: Path) -> None:
    """AWS hangs: sealed_through keeps moving, ingest keeps acknowledging, all billed once after it heals."""
    finding = await ops_scenarios.hung_endpoint(tmp_path, long=LONG)
    assert finding.ok, finding
    assert finding.figures["calls_held"] >= 1  # some call met the hang, not only the clock
    assert finding.figures["sealed_advanced_s"] >= 4  # two windows of 2 s at least, during the hang
    assert finding.figures["acked_during_hang"] > 0
    assert finding.figures["pending_after"] == 0
    assert finding.dead_letters == 0


@pytest.mark.timeout(600 if LONG else 180)
async def test_mode_switch_over_unsettled_records_is_refused_then_completes(tmp_path: Path) -> None:
    """Cluster to single with unsettled records: exit 2 saying what to run; then nothing lost or stranded."""
    finding = await ops_scenarios.mode_switch(tmp_path, long=LONG)
    assert finding.ok, finding
    assert finding.acked > 0
    assert finding.figures["refusals"] >= 1
    assert "Start it in cluster mode again" in finding.figures["message"]
    assert finding.figures["pending_after"] == 0
    assert finding.dead_letters == 0

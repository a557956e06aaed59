"""Azure's reliability scenarios, short form (METERING_SIDECAR_SOAK=1: the long form). Each ends with Azure
billing exactly (Decimal) what was acknowledged, one accepted event per resource, dimension and hour, every
lost answer billed through the Duplicate rule, and no Duplicate that differed from the record sent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import pg
from tests.reliability import azure_scenarios
from tests.reliability.scenarios import Finding

LONG = os.environ.get("METERING_SIDECAR_SOAK") == "1"
pytestmark = pytest.mark.timeout(900 if LONG else 240)


def _exact(finding: Finding) -> None:
    """Billed == acknowledged exactly, one event per slot, no foreign Duplicate, nothing dead or pending."""
    assert finding.ok, finding
    assert finding.acked > 0, finding
    assert finding.dead_letters == 0, finding
    assert finding.figures["max_events_per_slot"] == 1, finding
    assert finding.figures["conflicting_duplicates"] == 0, finding
    assert finding.figures["foreign_duplicates_logged"] == 0, finding


async def test_azure_crash_random(tmp_path: Path) -> None:
    """SIGKILLs under Azure load with throttling, 5xx and dropped answers: every lost answer ends billed."""
    finding = await azure_scenarios.crash_random(tmp_path, long=LONG)
    _exact(finding)
    assert finding.figures["rounds_mismatched"] == 0, finding
    assert finding.figures["kills"] >= (20 if LONG else 4)
    assert finding.figures["dropped"] >= finding.figures["kills"]  # one lost answer a round at least
    # Each answer lost after acceptance was resent and answered Duplicate of our own event: billed.
    assert finding.figures["identical_repeats"] >= finding.figures["dropped"], finding


async def test_azure_downstream_faults(tmp_path: Path) -> None:
    """Throttling, 5xx, lost answers and an outage: all billed once, lost answers through the Duplicate rule."""
    finding = await azure_scenarios.downstream_faults(tmp_path, long=LONG)
    _exact(finding)
    assert finding.figures["pending_after"] == 0
    assert finding.figures["dropped"] >= 2
    assert finding.figures["max_attempts_one_record"] >= 2  # records met the outage and were sent again
    assert finding.figures["identical_repeats"] >= finding.figures["dropped"], finding


async def test_azure_hung_endpoint_stops_neither_sealing_nor_ingest(tmp_path: Path) -> None:
    """Azure hangs: sealed_through keeps moving, ingest keeps acknowledging, all billed once after it heals."""
    finding = await azure_scenarios.hung_endpoint(tmp_path, long=LONG)
    _exact(finding)
    assert finding.figures["calls_held"] >= 1
    assert finding.figures["sealed_advanced_s"] >= 4  # two windows of 2 s at least, during 8 s of hang
    assert finding.figures["acked_during_hang"] > 0
    assert finding.figures["pending_after"] == 0


def _each_marketplace_exact(finding: Finding) -> None:
    _exact(finding)
    assert finding.figures["pending_after"] == 0, finding
    assert finding.figures["aws_acked"] > 0, finding
    assert (finding.figures["aws_lost"], finding.figures["aws_duplicated"]) == (0, 0), finding
    assert finding.figures["aws_duplicate_records"] == 0, finding


async def test_aws_and_azure_through_one_sidecar_bill_each_exactly(tmp_path: Path) -> None:
    """A mixed run with faults on both sides and SIGKILLs: each marketplace billed what was acked for it."""
    finding = await azure_scenarios.mixed_marketplaces(tmp_path, long=LONG)
    _each_marketplace_exact(finding)
    assert finding.figures["dropped"] >= 1
    # Usage went to the marketplace of its customer field and nowhere else.
    assert all(c.isdigit() for c in finding.figures["aws_customers_billed"])
    assert all("-" in r for r in finding.figures["azure_resources_billed"])


@pytest.mark.skipif(not pg.available(), reason="PostgreSQL 15 missing (scripts/install-deps installs it)")
async def test_azure_cluster_mode_survives_a_killed_shipper(tmp_path: Path) -> None:
    """Three members, AWS and Azure usage for the same customers, the shipper SIGKILLed mid-run: exact."""
    finding = await azure_scenarios.cluster(tmp_path, long=LONG)
    _each_marketplace_exact(finding)
    assert finding.figures["taken_over"], finding
    assert finding.figures["dead_letters"] == {}, finding

"""Cluster mode's reliability scenarios, short form (METERING_SIDECAR_SOAK=1: the long form). Each ends with
billed == acknowledged, one record per key and window, no DuplicateRecord, nothing left pending."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import pg
from tests.reliability import cluster_scenarios as cs
from tests.reliability.scenarios import Finding

LONG = os.environ.get("METERING_SIDECAR_SOAK") == "1"
pytestmark = [
    pytest.mark.skipif(not pg.available(), reason="PostgreSQL 15 missing (scripts/install-deps installs it)"),
    pytest.mark.timeout(900 if LONG else 240),
]


def _exact(finding: Finding) -> None:
    assert finding.ok, finding
    assert finding.acked > 0, finding
    assert finding.figures["pending_after"] == 0, finding
    assert finding.figures["max_records_per_key_and_window"] == 1, finding


async def test_reused_instance_id_on_a_new_disk(tmp_path: Path) -> None:
    """Issue 11 item 5: a new disk under a reused --instance-id is a new contributor, not a conflict."""
    finding = await cs.reused_instance_new_disk(tmp_path, long=LONG)
    _exact(finding)
    assert finding.figures["dead_letters"] == {}, finding


async def test_more_than_5000_records_in_one_hand_over(tmp_path: Path) -> None:
    """Item 6: a member reports only windows it handed over completely; every key billed in its own window."""
    finding = await cs.big_handover(tmp_path, long=LONG)
    _exact(finding)
    assert finding.figures["records"] == finding.figures["keys"], finding
    assert finding.figures["records_outside_their_window"] == 0, finding


async def test_stopped_shipper_loses_its_lease(tmp_path: Path) -> None:
    """Item 7: a SIGSTOPped shipper loses the lease within the member timeout; after SIGCONT it is not one."""
    finding = await cs.stopped_leader(tmp_path, long=LONG)
    _exact(finding)
    assert finding.figures["took_over"] == finding.figures["cycles"], finding
    assert finding.figures["billed_while_stopped"] > 0, finding
    assert finding.figures["two_shippers_after_sigcont"] == 0, finding
    assert finding.figures["old_shipper_fenced"] == finding.figures["cycles"], finding


async def test_ledger_dropped_and_recreated_empty(tmp_path: Path) -> None:
    """Item 8: members offer handed-over records again to a recreated ledger; rebuilt records are identical."""
    finding = await cs.ledger_recreated(tmp_path, long=LONG)
    _exact(finding)
    assert finding.figures["handed_at_drop"] > 0, finding
    assert finding.dead_letters == 0, finding
    assert finding.figures["identical_resends"] > 0, finding  # rebuilt records were byte-identical


async def test_postgres_black_hole(tmp_path: Path) -> None:
    """Item 7: PostgreSQL behind a proxy that stops forwarding: ingest and sealing go on, then all bills."""
    finding = await cs.postgres_black_hole(tmp_path, long=LONG)
    _exact(finding)
    assert finding.figures["windows_sealed_during_hole"] >= 2, finding
    assert finding.figures["acked_during_hole"] > 0, finding


async def test_changed_instance_id_strands_nothing(tmp_path: Path) -> None:
    """Item 9: records handed over under the old --instance-id still get the cluster's verdict."""
    finding = await cs.changed_instance_id(tmp_path, long=LONG)
    _exact(finding)
    assert finding.figures["handed_at_rename"] > 0, finding
    assert finding.figures["still_handed"] == 0, finding


async def test_rolling_upgrade_from_the_previous_version(tmp_path: Path) -> None:
    """Ledger versions: old and new members run together on a ledger migrated in place, exactly once."""
    finding = await cs.rolling_upgrade(tmp_path, long=LONG)
    _exact(finding)
    assert finding.figures["schema_version_before"] == 1, finding  # the previous version really ran
    assert finding.figures["schema_version_while_mixed"] == 2, finding
    assert finding.figures["old_exit_codes"] == [0, 0, 0], finding
    assert finding.figures["new_shipper_while_mixed"], finding  # and old members could no longer lead
    assert finding.figures["late_old_member_shipper"] == 0, finding

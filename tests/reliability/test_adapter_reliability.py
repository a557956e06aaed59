"""The AWS adapter's reliability scenarios with real processes, short form (METERING_SIDECAR_SOAK=1: long
form). Each must lose and duplicate nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability import adapter_scenarios

LONG = os.environ.get("METERING_SIDECAR_SOAK") == "1"


@pytest.mark.timeout(600 if LONG else 180)
async def test_credential_chain_outage(tmp_path: Path) -> None:
    """The SDK's container credentials fail at start and on refresh: live throughout, billed == acknowledged."""
    finding = await adapter_scenarios.credential_outage(tmp_path, long=LONG)
    assert finding.ok, finding
    assert finding.acked > 0
    assert finding.dead_letters == 0
    figures = finding.figures
    assert figures["alive"]
    assert figures["live_failures"] == 0, finding
    assert figures["credential_refusals"] >= 1, finding  # the outage was really met
    assert figures["secrets_logged"] == []
    assert figures["pending_after"] == 0


@pytest.mark.timeout(600 if LONG else 180)
async def test_hung_endpoint(tmp_path: Path) -> None:
    """AWS hangs: calls end at their deadline, at most the bound wait at once, all billed once after."""
    finding = await adapter_scenarios.hung_endpoint(tmp_path, long=LONG)
    assert finding.ok, finding
    assert finding.acked > 0
    assert finding.dead_letters == 0
    figures = finding.figures
    assert figures["alive"]
    assert figures["live_failures"] == 0, finding
    assert figures["deadline_exceeded"] >= 1, finding
    assert figures["refused_in_flight"] >= 1, finding
    # The bound holds per endpoint (metering, entitlement): a hung entitlement endpoint never takes
    # BatchMeterUsage's slots.
    assert 1 <= figures["hung_open_peak"] <= 2 * figures["bound"], finding
    assert figures["pending_after"] == 0


@pytest.mark.timeout(600 if LONG else 180)
async def test_resolve_customer_outcome_unknown(tmp_path: Path) -> None:
    """Lost ResolveCustomer answers: one send each, 'outcome unknown', then stored once or 'restart'."""
    finding = await adapter_scenarios.resolve_outcome_unknown(tmp_path, long=LONG)
    assert finding.ok, finding
    assert finding.lost == 0
    assert all(finding.figures["checks"].values()), finding.figures["checks"]
    assert finding.figures["sidecar_resends"] == 0
    assert finding.figures["dropped"] >= 1
    assert finding.figures["unknown_answers"] == finding.figures["dropped"]

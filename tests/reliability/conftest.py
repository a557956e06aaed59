"""The reliability suite's report: every scenario a test runs is timed and its Finding kept; the long
form (METERING_SIDECAR_SOAK=1) writes RELIABILITY.md from them when the session ends."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import adapter_scenarios, azure_scenarios, cluster_scenarios, ops_scenarios, scenarios
from tests.reliability.scenarios import Finding

LONG = os.environ.get("METERING_SIDECAR_SOAK") == "1"
ROOT = Path(__file__).resolve().parent.parent.parent
FINDINGS: list[tuple[Finding, float]] = []
Scenario = Callable[..., Awaitable[Finding]]

MODULES: list[tuple[Any, list[Any]]] = [
    (scenarios, scenarios.SCENARIOS),
    (ops_scenarios, ops_scenarios.SCENARIOS),
    (adapter_scenarios, adapter_scenarios.ADAPTER_SCENARIOS),
    (cluster_scenarios, cluster_scenarios.CLUSTER_SCENARIOS),
    (azure_scenarios, azure_scenarios.AZURE_SCENARIOS),
]


def _recorded(scenario: Scenario) -> Scenario:
    @functools.wraps(scenario)
    async def run(*args: Any, **kwargs: Any) -> Finding:
        started = time.monotonic()
        finding = await scenario(*args, **kwargs)
        FINDINGS.append((finding, time.monotonic() - started))
        return finding

    return run


for _module, _scenarios in MODULES:
    for _scenario in _scenarios:
        setattr(_module, _scenario.__name__, _recorded(_scenario))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Long form: write RELIABILITY.md from what this session measured."""
    if not LONG or not FINDINGS:
        return
    import importlib.util

    spec = importlib.util.spec_from_file_location("reliability_report", ROOT / "scripts" / "reliability.py")
    assert spec is not None
    assert spec.loader is not None
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)
    (ROOT / "RELIABILITY.md").write_text(
        report.render(FINDINGS, long=True, runner="METERING_SIDECAR_SOAK=1 pytest")
    )

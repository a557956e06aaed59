"""The repository's own rules: generated code is current, ruff and mypy strict pass."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_generated_stubs_are_current() -> None:
    """Regenerating from proto/ changes nothing (CI's 'generation unchanged' check)."""
    result = _run(sys.executable, "scripts/gen_protos.py", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_passes() -> None:
    """ruff check and ruff format --check are clean."""
    lint = _run(sys.executable, "-m", "ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout
    fmt = _run(sys.executable, "-m", "ruff", "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout


@pytest.mark.timeout(300)
def test_mypy_strict_passes() -> None:
    """mypy --strict is clean on sidecar/."""
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout

"""The repository's own rules: generated code is current, ruff and mypy strict pass."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)


BUF = ROOT / "clients" / "node" / "node_modules" / ".bin" / "buf"


def test_generated_stubs_are_current() -> None:
    """Regenerating every language from proto/ changes nothing (CI's 'generation unchanged' check)."""
    # Go's plugins come from Debian; where apt-get cannot install them, Go alone may be skipped.
    allow = [] if shutil.which("protoc-gen-go") or shutil.which("apt-get") else ["--allow-missing", "go"]
    result = _run(sys.executable, "scripts/gen_protos.py", "--check", *allow)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "generated code is current" in result.stdout


def test_buf_lint() -> None:
    """The proto passes buf lint (STANDARD, except SERVICE_SUFFIX: the service keeps its name)."""
    result = subprocess.run(
        [str(BUF), "lint"], cwd=ROOT / "proto", capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_buf_breaking_against_the_previous_commit() -> None:
    """No breaking change against the previous commit of main (names and numbers are a contract)."""
    has_parent = _run("git", "rev-parse", "--verify", "--quiet", "HEAD~1").returncode == 0
    if not has_parent:
        pytest.skip("no previous commit in this clone")
    result = subprocess.run(
        [str(BUF), "breaking", "proto", "--against", ".git#ref=HEAD~1,subdir=proto"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
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

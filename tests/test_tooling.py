"""The repository's own rules: generated code is current, ruff and mypy strict pass."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.procs import unmeasured_env

ROOT = Path(__file__).resolve().parent.parent


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    # Tools run no metering_sidecar code: coverage would only slow them (tests/procs.py).
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300, env=unmeasured_env())


BUF = ROOT / "clients" / "node" / "node_modules" / ".bin" / "buf"


def test_generated_stubs_are_current() -> None:
    """Regenerating every language (Python, Node, Go, Java) from proto/ changes nothing (CI's
    'generation unchanged' check); scripts/install-deps installs every generator, so none may be missing."""
    result = _run(sys.executable, "scripts/gen_protos.py", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "generated code is current" in result.stdout


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text.split("-")[0])[:3])


def test_go_module_requires_patched_grpc_and_protobuf() -> None:
    """clients/go/go.mod requires google.golang.org/grpc >= 1.58.3 (CVE-2023-44487, HTTP/2 rapid reset)
    and google.golang.org/protobuf >= 1.33.0 (CVE-2024-24786), and not the deprecated golang/protobuf."""
    go_mod = (ROOT / "clients" / "go" / "go.mod").read_text()
    assert go_mod.startswith("module github.com/metering-sidecar/metering-sidecar/clients/go\n")
    required = dict(re.findall(r"^\s*(?:require\s+)?([\w./-]+)\s+(v[\w.+-]+)", go_mod, re.MULTILINE))
    assert _version(required["google.golang.org/grpc"]) >= (1, 58, 3), required
    assert _version(required["google.golang.org/protobuf"]) >= (1, 33, 0), required
    assert "github.com/golang/protobuf" not in required
    assert (ROOT / "clients" / "go" / "go.sum").exists()


def test_java_protoc_is_the_release_the_other_languages_use() -> None:
    """The Maven protoc that generates Java is the release bundled in grpcio-tools (one protoc for all),
    and the Java runtime is at least the gencode's version."""
    pom = (ROOT / "clients" / "java" / "pom.xml").read_text()
    prop = dict(re.findall(r"<([\w.]+\.version)>([^<]+)<", pom))
    bundled = _run(sys.executable, "-m", "grpc_tools.protoc", "--version").stdout.split()[-1]  # "35.1"
    assert prop["protoc.version"].split(".", 1)[1] == bundled, (prop, bundled)
    assert _version(prop["protobuf.version"]) >= _version(prop["protoc.version"])
    assert prop["grpc.version"] == prop["grpc.plugin.version"]


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
def test_import_contracts_hold() -> None:
    """import-linter: no part imports another's private modules, and parts depend downwards only."""
    result = _run("lint-imports")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 kept, 0 broken" in result.stdout


def test_mypy_strict_passes() -> None:
    """mypy --strict is clean on the package, the Python client, tests/ and bench/ (pyproject's files)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["strict"] is True
    assert set(config["files"]) >= {
        "sidecar/metering_sidecar",
        "clients/python/metering_sidecar_client",
        "tests",
        "bench",
    }
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout


def test_coverage_is_measured_with_a_stated_floor() -> None:
    """The README's test command measures branch coverage (subprocesses too) and fails below a stated floor."""
    coverage = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["coverage"]
    assert coverage["run"]["branch"] is True
    assert "subprocess" in coverage["run"]["patch"]
    assert coverage["report"]["fail_under"] >= 90
    script = (ROOT / "scripts" / "test").read_text()
    assert "--cov" in script
    assert "--cov-report=term" in script


def test_nothing_points_at_files_a_user_does_not_have() -> None:
    """The project documents itself: README, docs, the sources and the tests never point at the design notes
    beside the repository that a user who clones it does not get."""
    needle = "../" + "shared"
    files = [
        ROOT / "README.md",
        *(p for top in ("docs", "sidecar", "tests") for p in (ROOT / top).rglob("*")),
    ]
    offenders = [
        str(path.relative_to(ROOT))
        for path in files
        if path.is_file() and path.suffix in {".md", ".py", ".toml", ".txt", ".yaml", ".proto", ""}
        and needle in path.read_text(errors="replace")
    ]  # fmt: skip
    assert offenders == []


def test_release_workflow_runs_govulncheck_on_go_module_tags() -> None:
    """The release workflow runs govulncheck (its database is unreachable from CI here) on tags that
    follow Go's rule for a module in a subdirectory (clients/go/vX.Y.Z)."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "release-clients.yml").read_text())
    assert "clients/go/v*" in workflow[True]["push"]["tags"]  # YAML 1.1 reads the key `on` as True
    steps = workflow["jobs"]["go"]["steps"]
    assert any("govulncheck" in step.get("run", "") for step in steps)
    assert any(step.get("run") == "go test -race ./..." for step in steps)

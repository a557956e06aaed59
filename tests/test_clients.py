"""Every client end to end: a real `serve`, the emulator, the client sending while the sidecar is
killed and restarted once; the emulator must bill exactly what the client saw acknowledged."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.procs import Emulator, SidecarProcess

ROOT = Path(__file__).resolve().parent.parent
WINDOW = 2
COUNT = 160


@pytest.fixture(scope="module")
def go_driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the Go e2e driver in GOPATH mode against Debian's gRPC and protobuf packages."""
    if shutil.which("go") is None or not Path("/usr/share/gocode/src/google.golang.org/grpc").exists():
        pytest.skip(
            "Go toolchain or Debian's golang-google-grpc-dev missing (scripts/install-deps installs them)"
        )
    gopath = tmp_path_factory.mktemp("gopath")
    link = gopath / "src" / "github.com" / "metering-sidecar" / "metering-sidecar"
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT)
    binary = gopath / "e2e"
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": f"{gopath}:/usr/share/gocode",
           "GOCACHE": str(gopath / "cache"), "GOFLAGS": ""}  # fmt: skip
    build = subprocess.run(
        ["go", "build", "-o", str(binary), "./cmd/e2e"], cwd=link / "clients" / "go", env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    vet = subprocess.run(["go", "vet", "./..."], cwd=link / "clients" / "go", env=env, capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert vet.returncode == 0, vet.stderr
    return binary


def _node() -> list[str]:
    if shutil.which("node") is None or not (ROOT / "clients/node/node_modules/@grpc/grpc-js").exists():
        pytest.fail("node or clients/node/node_modules missing: run scripts/install-deps")
    return ["node", str(ROOT / "clients/node/e2e/driver.js")]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[Emulator, SidecarProcess]]:
    """The emulator and a `serve` process with short windows."""
    emulator = Emulator("--dedup-seconds", str(WINDOW))
    sidecar = SidecarProcess(
        tmp_path / "client.db", emulator.url, "--window-seconds", str(WINDOW), "--close-delay-seconds", "0.3",
        "--flush-interval-seconds", "0.2", "--max-backoff-seconds", "0.5",
    )  # fmt: skip
    sidecar.start()
    yield emulator, sidecar
    if sidecar.proc and sidecar.proc.poll() is None:
        sidecar.kill()
    emulator.stop()


async def _run_with_restart(command: list[str], sidecar: SidecarProcess, prefix: str) -> Counter[str]:
    env = {**os.environ, "TARGET": sidecar.target, "COUNT": str(COUNT), "PREFIX": prefix}
    driver = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT
    )
    assert driver.stderr is not None
    line = await asyncio.wait_for(driver.stderr.readline(), 60)
    assert b"QUARTER" in line, line
    sidecar.kill()  # while the client keeps sending
    await asyncio.sleep(0.5)
    sidecar.start()
    stdout, stderr = await asyncio.wait_for(driver.communicate(), 120)
    assert driver.returncode == 0, stderr.decode()
    return Counter(json.loads(stdout.decode().strip().splitlines()[-1])["acked"])


async def _billed_equals_acked(emulator: Emulator, sidecar: SidecarProcess, acked: Counter[str]) -> None:
    status = await sidecar.drain(within=60)
    assert status.pending_events == 0
    billed: Counter[str] = Counter()
    for record in emulator.get("/_emulator/billed"):
        billed[record["dimension"]] += record["quantity"]
    assert sum(acked.values()) > COUNT
    assert billed == acked
    assert emulator.get("/_emulator/stats")["stats"]["duplicate_records"] == 0


async def test_python_client_survives_a_restart(stack: tuple[Emulator, SidecarProcess]) -> None:
    """Python (MeteringClient and Batcher): billed equals acknowledged across a sidecar kill and restart."""
    emulator, sidecar = stack
    acked = await _run_with_restart([sys.executable, str(ROOT / "tests/client_driver.py")], sidecar, "py")
    await _billed_equals_acked(emulator, sidecar, acked)


async def test_node_client_survives_a_restart(stack: tuple[Emulator, SidecarProcess]) -> None:
    """Node.js: billed equals acknowledged across a sidecar kill and restart."""
    emulator, sidecar = stack
    acked = await _run_with_restart(_node(), sidecar, "node")
    await _billed_equals_acked(emulator, sidecar, acked)


async def test_go_client_survives_a_restart(stack: tuple[Emulator, SidecarProcess], go_driver: Path) -> None:
    """Go: billed equals acknowledged across a sidecar kill and restart."""
    emulator, sidecar = stack
    acked = await _run_with_restart([str(go_driver)], sidecar, "go")
    await _billed_equals_acked(emulator, sidecar, acked)


def test_node_unit_tests() -> None:
    """The Node package's own tests (node --test) pass."""
    result = subprocess.run(["node", "--test", "test/"], cwd=ROOT / "clients/node", capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr

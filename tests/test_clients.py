"""Every client end to end, against a real `serve` and the emulator:

* the conformance suite: every case in clients/conformance/cases through the Python, Node, Go and
  Java clients' runners (tests/conformance.py is the harness);
* each client sending while the sidecar is killed and restarted once: the emulator must bill exactly
  what the client saw acknowledged;
* each language's own checks: Go (gofmt, vet, race tests), Java (mvn verify), Node (unit tests, and
  the packed package type-checking under tsc --strict in an empty project).

Each client is built once per session (module-scoped fixtures), not per test."""

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

from tests.conformance import DEFAULT_CLIENT, Environment, Runner, load_cases, run_case
from tests.procs import Emulator, SidecarProcess, unmeasured_env

ROOT = Path(__file__).resolve().parent.parent
GO = ROOT / "clients" / "go"
JAVA = ROOT / "clients" / "java"
NODE = ROOT / "clients" / "node"
WINDOW = 2
COUNT = 160


# Short-lived JVMs (Maven with javac in it, the surefire fork, the drivers) spend most of their CPU in the
# JIT's optimising compiler and a parallel collector that never pays off before they exit: C1 alone and the
# serial collector halve `mvn verify` (17 s of CPU -> 8 s), with the same classes built and tests run.
JVM_FLAGS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]


def _run(
    command: list[str], cwd: Path, timeout: float = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def go_binaries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the Go client's e2e driver and conformance runner once, in module mode (go.mod, go.sum)."""
    if shutil.which("go") is None:
        pytest.fail("go missing: run scripts/install-deps")
    out = tmp_path_factory.mktemp("go-bin")
    build = _run(["go", "build", "-o", f"{out}/", "./internal/e2e", "./internal/conformance"], GO)
    assert build.returncode == 0, build.stderr
    return out


@pytest.fixture(scope="module")
def java_build() -> list[str]:
    """`mvn verify` once (compiles, runs the JUnit tests) and return the test class path."""
    if shutil.which("mvn") is None or shutil.which("java") is None:
        pytest.fail("java or mvn missing: run scripts/install-deps")
    classpath = JAVA / "target" / "test-classpath.txt"
    env = {**os.environ, "MAVEN_OPTS": " ".join([os.environ.get("MAVEN_OPTS", ""), *JVM_FLAGS]).strip()}
    build = _run(["mvn", "-B", "-q", "verify", "dependency:build-classpath", "-Dmdep.includeScope=test",
                  f"-Dmdep.outputFile={classpath}", f"-DargLine={' '.join(JVM_FLAGS)}"], JAVA, env=env)  # fmt: skip
    assert build.returncode == 0, build.stdout[-5000:] + build.stderr[-2000:]
    return [
        str(JAVA / "target" / "classes"),
        str(JAVA / "target" / "test-classes"),
        classpath.read_text().strip(),
    ]


@pytest.fixture(scope="module")
def node_build() -> Path:
    """Compile the Node client (tsc) once."""
    if shutil.which("node") is None or not (NODE / "node_modules" / "@grpc" / "grpc-js").exists():
        pytest.fail("node or clients/node/node_modules missing: run scripts/install-deps")
    build = _run(["npm", "run", "--silent", "build"], NODE)
    assert build.returncode == 0, build.stdout + build.stderr
    return NODE


def _node(node_build: Path) -> list[str]:
    return ["node", str(node_build / "e2e" / "driver.js")]


def _java(java_build: list[str], main: str) -> list[str]:
    return ["java", *JVM_FLAGS, "-cp", os.pathsep.join(java_build), f"dev.meteringsidecar.client.{main}"]


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
    # The drivers run client code only: not measured (tests/procs.py).
    env = {**unmeasured_env(), "TARGET": sidecar.target, "COUNT": str(COUNT), "PREFIX": prefix}
    driver = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT
    )
    assert driver.stderr is not None
    line = b""
    while b"QUARTER" not in line:  # a runtime may log a line of its own first
        line = await asyncio.wait_for(driver.stderr.readline(), 60)
        assert line, "the driver exited before sending a quarter of its events"
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


async def test_node_client_survives_a_restart(
    stack: tuple[Emulator, SidecarProcess], node_build: Path
) -> None:
    """Node.js: billed equals acknowledged across a sidecar kill and restart."""
    emulator, sidecar = stack
    acked = await _run_with_restart(_node(node_build), sidecar, "node")
    await _billed_equals_acked(emulator, sidecar, acked)


async def test_go_client_survives_a_restart(
    stack: tuple[Emulator, SidecarProcess], go_binaries: Path
) -> None:
    """Go: billed equals acknowledged across a sidecar kill and restart."""
    emulator, sidecar = stack
    acked = await _run_with_restart([str(go_binaries / "e2e")], sidecar, "go")
    await _billed_equals_acked(emulator, sidecar, acked)


async def test_java_client_survives_a_restart(
    stack: tuple[Emulator, SidecarProcess], java_build: list[str]
) -> None:
    """Java (blocking, future and batch calls): billed equals acknowledged across a kill and restart."""
    emulator, sidecar = stack
    acked = await _run_with_restart(_java(java_build, "EndToEndDriver"), sidecar, "java")
    await _billed_equals_acked(emulator, sidecar, acked)


def test_node_unit_tests(node_build: Path) -> None:
    """The Node package's own tests (node --test) pass."""
    result = _run(["node", "--test", "test/"], node_build, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(300)
def test_node_package_installs_and_type_checks_strict(node_build: Path, tmp_path: Path) -> None:
    """`npm pack` installs into an empty project, whose TypeScript using it passes `tsc --strict`."""
    # --ignore-scripts: the package's `prepare` would compile it again; node_build compiled it (`npm run build`,
    # the same command), and the tarball holds what it wrote to dist/.
    packed = _run(
        ["npm", "pack", "--silent", "--ignore-scripts", "--pack-destination", str(tmp_path)], node_build
    )
    assert packed.returncode == 0, packed.stderr
    tarball = tmp_path / packed.stdout.strip().splitlines()[-1]
    listing = _run(["tar", "-tzf", str(tarball)], tmp_path).stdout.split()
    assert "package/dist/index.d.ts" in listing
    assert not [n for n in listing if n.endswith(".ts") and not n.endswith(".d.ts")], "raw .ts in the package"
    app = tmp_path / "app"
    app.mkdir()
    (app / "package.json").write_text('{"name": "app", "version": "1.0.0", "private": true}')
    types_node = json.loads((node_build / "package.json").read_text())["devDependencies"]["@types/node"]
    install = _run(["npm", "install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error",
                    str(tarball), f"@types/node@{types_node}"], app)  # fmt: skip
    assert install.returncode == 0, install.stderr
    (app / "main.ts").write_text(
        "import { MeteringClient, RETRYABLE, type Usage, type RecordUsageResponse } from 'metering-sidecar-client';\n"
        "const client = new MeteringClient('unix:///run/metering-sidecar.sock', { timeoutMs: 2000, token: 't' });\n"
        "const usage: Usage = { customer_aws_account_id: '111122223333', dimension: 'requests', quantity: 1,\n"
        "  tags: { team: 'search' } };\n"
        "export async function main(signal: AbortSignal): Promise<boolean> {\n"
        "  const answer: RecordUsageResponse = await client.recordUsage(usage, { deadlineMs: 5000, signal });\n"
        "  const check = await client.checkEntitlement({ customer_aws_account_id: '111122223333' });\n"
        "  client.close();\n"
        "  return answer.duplicate || check.entitled || RETRYABLE.size > 0;\n"
        "}\n"
    )
    tsc = _run([str(node_build / "node_modules" / ".bin" / "tsc"), "--strict", "--noEmit", "--target", "ES2022",
                "--module", "node16", "--moduleResolution", "node16", "--types", "node", "main.ts"], app)  # fmt: skip
    assert tsc.returncode == 0, tsc.stdout + tsc.stderr


@pytest.mark.timeout(600)
def test_go_module_builds_formats_vets_and_passes_race_tests() -> None:
    """In module mode (go.mod, go.sum): `go build ./...`, gofmt, `go vet ./...` and `go test -race ./...`."""
    if shutil.which("go") is None:
        pytest.fail("go missing: run scripts/install-deps")
    build = _run(["go", "build", "./..."], GO)
    assert build.returncode == 0, build.stderr
    fmt = _run(["gofmt", "-l", "."], GO)
    assert fmt.returncode == 0, fmt.stderr
    assert not fmt.stdout.strip(), f"not gofmt'd: {fmt.stdout}"
    vet = _run(["go", "vet", "./..."], GO)
    assert vet.returncode == 0, vet.stderr
    race = _run(["go", "test", "-race", "-count=1", "./..."], GO)
    assert race.returncode == 0, race.stdout + race.stderr


def test_java_unit_tests_pass(java_build: list[str]) -> None:
    """`mvn verify` ran the JUnit 5 tests (in the java_build fixture), and every one passed."""
    reports = list((JAVA / "target" / "surefire-reports").glob("TEST-*.xml"))
    assert reports, "no JUnit reports"
    text = " ".join(r.read_text() for r in reports)
    assert 'failures="0"' in text
    assert 'errors="0"' in text


# ---- the conformance suite: every case (clients/conformance/cases) through every client ----

CASES = load_cases()
LANGUAGES = ["python", "node", "go", "java"]


@pytest.fixture(scope="module")
def conformance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Environment]:
    """The emulator and the sidecars (with their fault proxies) the cases need, shared by all runners."""
    env = Environment(tmp_path_factory.mktemp("conformance"))
    yield env
    env.stop()


@pytest.fixture(scope="module")
def runners(request: pytest.FixtureRequest, conformance: Environment) -> Iterator[dict[str, Runner]]:
    """Each language's conformance runner, started once (built by that language's fixture) and warmed
    up with one call, so that a runtime's first connection (a JVM's, say) is not inside a case's timing."""
    started: dict[str, Runner] = {}

    class Lazy(dict[str, Runner]):
        def __missing__(self, language: str) -> Runner:
            if language == "python":
                command = [sys.executable, str(ROOT / "tests" / "client_conformance.py")]
            elif language == "node":
                command = ["node", str(request.getfixturevalue("node_build") / "e2e" / "conformance.js")]
            elif language == "go":
                command = [str(request.getfixturevalue("go_binaries") / "conformance")]
            else:
                command = _java(request.getfixturevalue("java_build"), "ConformanceRunner")
            runner = started[language] = self[language] = Runner(command)
            warm_up = {"method": "record", "usages": [{"customer_aws_account_id": "111122223333",
                                                       "dimension": f"warm_up_{language}", "quantity": 1}]}  # fmt: skip
            target = conformance.stack("plain").sidecar.target
            assert (
                runner.ask({"target": target, "client": DEFAULT_CLIENT, "call": warm_up})["outcome"] == "OK"
            )
            return runner

    yield Lazy()
    for runner in started.values():
        runner.stop()


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("language", LANGUAGES)
def test_conformance(language: str, case: str, conformance: Environment, runners: dict[str, Runner]) -> None:
    """One conformance case through one client, against a real sidecar (see tests/conformance.py)."""
    run_case(case, CASES[case], language, conformance, runners[language])

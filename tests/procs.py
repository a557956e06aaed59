"""Real processes for end-to-end tests: the emulator and `metering-sidecar serve` as subprocesses."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import grpc
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.config import Config

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "AKIDTEST",
    "AWS_SECRET_ACCESS_KEY": "test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}

AZURE_TENANT = "72f988bf-0000-4000-8000-0000000000e2"
AZURE_CLIENT = "app-e2e-offer"


def free_port() -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(extra: dict[str, str] | None = None, *, fake_keys: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AZURE_", "METERING_SIDECAR_"))}
    env.update(FAKE_AWS if fake_keys else {k: v for k, v in FAKE_AWS.items() if "_KEY" not in k})
    env.update(extra or {})
    return env


# Coverage of child processes (scripts/test): coverage hands its configuration to every Python child in
# COVERAGE_PROCESS_CONFIG, and the child's .pth hook starts measuring before its first import. Python 3.11's
# tracer slows every line of Python, measured or not, so a child pays for it in all the library code it runs.
_COVERAGE = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START")
MEASURED_MAIN = Path(__file__).resolve().parent / "measured_main.py"


def unmeasured_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """Return ``env`` (default: this process's) without coverage's request to measure a Python child: for
    tools and client programs, which run no metering_sidecar code."""
    return {k: v for k, v in (os.environ if env is None else env).items() if k not in _COVERAGE}


def python_m(module: str, args: list[str], env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """Return the argv and env of `python -m module args` with ``env``.

    Measured, metering_sidecar starts its coverage after the libraries it uses are imported
    (tests/measured_main.py), which saves each `serve` and `emulator` about 0.2 s of CPU. Another package
    (the previous release's ``sidecar``) holds nothing that is measured, so it runs unmeasured.
    """
    config = env.get(_COVERAGE[0])
    if config is None:
        return [sys.executable, "-m", module, *args], env
    env = unmeasured_env(env)
    if module != "metering_sidecar":
        return [sys.executable, "-m", module, *args], env
    from tests.measured_main import DEFERRED

    return [sys.executable, str(MEASURED_MAIN), *args], {**env, DEFERRED: config}


class Emulator:
    """`metering-sidecar emulator` in a subprocess: AWS and Azure on ``url``, Entra ID over TLS on
    ``azure_authority_host`` (trusting ``azure_ca_path``; both "" without the ``azure`` extra)."""

    def __init__(self, *args: str) -> None:
        argv, env = python_m("metering_sidecar", ["emulator", "--listen", "127.0.0.1:0", *args], _env())
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith("emulator listening on "), line
        self.url = line.split()[-1]
        line = self.proc.stdout.readline()  # "azure token endpoint URL (trust CA)" or "... off (...)"
        assert line.startswith("azure token endpoint "), line
        words = line.split()
        self.azure_authority_host = words[3] if words[3].startswith("https://") else ""
        self.azure_ca_path = words[5].rstrip(")") if self.azure_authority_host else ""
        self.azure_api_url = f"{self.url}/api"

    def get(self, path: str) -> Any:
        """GET an admin path."""
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.load(response)

    def post(self, path: str, values: Any) -> Any:
        """POST JSON to an admin path; return its answer."""
        request = urllib.request.Request(self.url + path, data=json.dumps(values).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def faults(self, **values: Any) -> None:
        """Change injected faults."""
        self.post("/_emulator/faults", values)

    def azure_faults(self, **values: Any) -> None:
        """Change the Azure side's injected faults."""
        self.post("/_emulator/azure/faults", values)

    def azure_stats(self) -> dict[str, Any]:
        """Return the Azure side's counters."""
        stats: dict[str, Any] = self.get("/_emulator/azure/stats")["stats"]
        return stats

    def stop(self) -> None:
        """Stop the process."""
        self.proc.terminate()
        self.proc.wait(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


# Tests ship against the emulator, not AWS: pacing at AWS's 10 calls a second would make every scenario that
# drains thousands of records wait on the clock, not on the code. tests/test_pacing.py tests the pacing itself
# in-process. A test's own --ship-rate-per-second comes later on the command line and wins; a flag also beats
# METERING_SIDECAR_SHIP_RATE_PER_SECOND and --config files, so a test that sets the rate those ways must pass
# the flag instead. The previous release (module "sidecar") had no such flag.
FAST_SHIPPING = ("--ship-rate-per-second", "200")
# The default pace, for a scenario that needs records to wait in line.
AWS_PACE = ("--ship-rate-per-second", f"{Config.ship_rate_per_second:g}")


class SidecarProcess:
    """`metering-sidecar serve` in a subprocess, restartable on the same database and port."""

    def __init__(
        self,
        db: Path,
        emulator_url: str,
        *args: str,
        env: dict[str, str] | None = None,
        fake_keys: bool = True,
        cwd: Path | None = None,
        module: str = "metering_sidecar",
        azure: Emulator | None = None,
    ) -> None:
        """``fake_keys=False`` leaves AWS_ACCESS_KEY_ID out, so the SDK's credential chain runs for real.

        ``module``: what ``python -m`` runs. The previous release's package was named ``sidecar`` (run it with
        ``cwd`` at its extracted tree); under ``metering_sidecar`` Python would find this checkout's code.

        ``azure``: turn Azure on against that emulator's Azure side and Entra ID, as the Entra app
        ``AZURE_CLIENT`` whose secret is in a file next to the database (``azure_secret``).
        """
        self.port = free_port()
        self.health_port = free_port()
        self.metrics_port = free_port()
        self.target = f"127.0.0.1:{self.port}"
        self.args = [
            "--listen", self.target, "--health-listen", f"127.0.0.1:{self.health_port}",
            "--metrics-listen", f"127.0.0.1:{self.metrics_port}", "--db", str(db), "--product-code", "prod-e2e",
            "--metering-endpoint-url", emulator_url, "--entitlement-endpoint-url", emulator_url, "--aws-max-attempts", "1", "--log-level", "warning",
            *(self._azure_args(db, azure) if azure is not None else ()),
            *(FAST_SHIPPING if module == "metering_sidecar" else ()),
            *args,
        ]  # fmt: skip
        self.env = env or {}
        self.fake_keys = fake_keys
        self.cwd = cwd  # `python -m sidecar` imports the package found here first (another version's code)
        self.module = module
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = db.with_suffix(".log")

    def _azure_args(self, db: Path, emulator: Emulator) -> tuple[str, ...]:
        assert emulator.azure_authority_host, "the emulator's token endpoint is off: install the azure extra"
        self.azure_secret = f"secret-{secrets.token_urlsafe(16)}"
        secret_file = db.with_suffix(".azure-secret")
        secret_file.write_text(self.azure_secret + "\n")
        secret_file.chmod(0o600)
        return ("--azure-metering-endpoint-url", emulator.azure_api_url,
                "--azure-fulfillment-endpoint-url", emulator.azure_api_url,
                "--azure-authority-host", emulator.azure_authority_host, "--azure-ca-file", emulator.azure_ca_path,
                "--azure-tenant-id", AZURE_TENANT, "--azure-client-id", AZURE_CLIENT,
                "--azure-client-secret-file", str(secret_file))  # fmt: skip

    def _metrics_listen(self) -> str:
        # The last --metrics-listen wins (argparse), and a test's own args may change or disable it.
        values = [self.args[i + 1] for i, arg in enumerate(self.args[:-1]) if arg == "--metrics-listen"]
        return values[-1] if values else ""

    def start(self, extra_env: dict[str, str] | None = None) -> None:
        """Start and wait until the API answers, and the metrics port too when it is this one.

        The sidecar opens its gRPC port a moment before its metrics port; a test that reads /metrics or
        /healthz right after start() must not land in that gap (on a busy machine it is long enough to).
        free_port() only says a port was free a moment ago: with tests running in parallel another process
        may take it first, so a start that fails to bind tries again on fresh ports (the API port only
        before the first successful start: clients of a restarted sidecar dial the same one)."""
        for _ in range(4):
            try:
                self._start(extra_env)
                self._started = True
                return
            except AssertionError as exc:
                if "cannot listen" not in str(exc) and "Address already in use" not in str(exc):
                    raise
                self._fresh_ports()
        self._start(extra_env)
        self._started = True

    def _fresh_ports(self) -> None:
        swaps = {
            f"127.0.0.1:{self.health_port}": "health_port",
            f"127.0.0.1:{self.metrics_port}": "metrics_port",
        }
        if not getattr(self, "_started", False):
            swaps[self.target] = "port"
        for old, attribute in swaps.items():
            if old in self.args:
                setattr(self, attribute, free_port())
                self.args[self.args.index(old)] = f"127.0.0.1:{getattr(self, attribute)}"
        self.target = f"127.0.0.1:{self.port}"

    def _start(self, extra_env: dict[str, str] | None) -> None:
        argv, env = python_m(
            self.module,
            ["serve", *self.args],
            _env({**self.env, **(extra_env or {})}, fake_keys=self.fake_keys),
        )
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=log, env=env, cwd=self.cwd)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"sidecar exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise AssertionError("sidecar did not start")
        if self._metrics_listen() != f"127.0.0.1:{self.metrics_port}":
            return
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"sidecar exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.metrics_port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("sidecar's metrics port did not open")

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a node failure would."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM and wait for the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    async def drain(self, within: float = 60) -> pb.GetStatusResponse:
        """Poll GetStatus until nothing is pending (or time runs out); return the last status."""
        deadline = time.monotonic() + within
        status = await self.status()
        while status.pending_events and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            status = await self.status()
        return status

    async def status(self) -> pb.GetStatusResponse:
        """Call GetStatus."""
        async with grpc.aio.insecure_channel(self.target) as channel:
            return await pb_grpc.MeteringSidecarStub(channel).GetStatus(pb.GetStatusRequest(), timeout=10)

"""The Dockerfile's pieces, checked without a container engine."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from metering_sidecar import config as config_module
from metering_sidecar.cli._main import main

from tests.cli_run import run_cli

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instruction(name: str) -> list[str]:
    return [m.group(1) for m in re.finditer(rf"^{name}\s+(.+)$", DOCKERFILE, re.MULTILINE)]


def test_env_names_are_real_settings() -> None:
    """Every METERING_SIDECAR_* the image sets is a real setting, and the db sits on the volume."""
    names = set(re.findall(r"(METERING_SIDECAR_[A-Z_]+)=", DOCKERFILE))
    fields = {config_module.ENV_PREFIX + f.upper() for f in config_module.Config.__dataclass_fields__}
    assert names
    assert names <= fields
    [volume] = _instruction("VOLUME")
    assert "/var/lib/metering-sidecar" in volume
    assert "METERING_SIDECAR_DB=/var/lib/metering-sidecar/" in DOCKERFILE
    assert "SQLITE_TMPDIR=/var/lib/metering-sidecar" in DOCKERFILE


def test_image_runs_as_non_root_and_exposes_the_api_port() -> None:
    """USER is numeric and not root; EXPOSE covers the default API port."""
    [user] = _instruction("USER")
    assert user.strip() != "0"
    assert int(user)
    ports = " ".join(_instruction("EXPOSE")).split()
    assert config_module.Config().listen.rsplit(":", 1)[1] in ports


def test_entrypoint_and_healthcheck_are_real_commands(tmp_path: Path) -> None:
    """ENTRYPOINT+CMD is `metering-sidecar serve`; the HEALTHCHECK command exits 1 when nothing answers."""
    assert '["metering-sidecar"]' in _instruction("ENTRYPOINT")[0]
    assert '["serve"]' in _instruction("CMD")[0]
    health = re.search(r'CMD \["metering-sidecar", "health"\]', DOCKERFILE)
    assert health is not None
    assert main(["health", "--target", "127.0.0.1:1"], env={}) == 1
    shown = run_cli(shlex.split("serve --help"))  # in-process (tests/cli_run.py): argparse exits 0
    assert shown.returncode == 0, shown.stderr
    help_text = shown.stdout
    assert "--listen" in help_text


def test_healthcheck_imports_neither_boto3_nor_the_server() -> None:
    """The HEALTHCHECK (`metering-sidecar health`, every 10 s) loads no AWS SDK, store, flusher or emulator."""
    code = (
        "import sys\n"
        "from metering_sidecar.cli import main\n"
        "code = main(['health', '--target', '127.0.0.1:1', '--timeout', '0.5'])\n"
        "print(code, ' '.join(sorted(sys.modules)))\n"
    )
    # Without coverage's start-up hook (scripts/test measures subprocesses): coverage itself imports
    # sqlite3, and the point here is what the HEALTHCHECK command imports.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    exit_code, modules = result.stdout.split(" ", 1)
    assert exit_code == "1"  # nothing listens there: not healthy
    loaded = set(modules.split())
    assert "metering_sidecar.cli._operator" in loaded  # the command really ran
    heavy = {"boto3", "botocore", "aiosqlite", "sqlite3", "psycopg", "metering_sidecar._app"}
    heavy |= {
        m
        for m in loaded
        if m.startswith(
            (
                "metering_sidecar.store",
                "metering_sidecar.shipping",
                "metering_sidecar.emulator",
                "metering_sidecar.ops",
            )
        )
    }
    heavy |= {
        m
        for m in loaded
        if m.startswith(("metering_sidecar.api", "metering_sidecar.marketplace", "metering_sidecar.cluster"))
    }
    assert heavy & loaded == set()


def test_health_service_name_matches_the_servers() -> None:
    """operator_cli's service name, taken from the descriptor, is the one the server reports readiness for."""
    from metering_sidecar.cli import _operator as operator_cli
    from metering_sidecar.ops import _health as health

    assert operator_cli.SERVICE == health.SERVICE

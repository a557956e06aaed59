"""The public face: what `import metering_sidecar` offers an embedder, pinned (httpx-style)."""

from __future__ import annotations

import subprocess
import sys

import metering_sidecar
import pytest

EXPECTED = {
    "Clock",
    "Config",
    "ConfigError",
    "ConflictingEvent",
    "DatabaseLocked",
    "InvalidUsage",
    "LedgerError",
    "ManualClock",
    "NotFound",
    "Refused",
    "RemoteError",
    "Sidecar",
    "SidecarError",
    "StorageError",
    "StorageFull",
    "SystemClock",
    "add_arguments",
    "build_config",
    "config_from_env",
}


def test_exported_members_are_pinned() -> None:
    """__all__ is exactly the intended face, and every name in it resolves."""
    assert set(metering_sidecar.__all__) == EXPECTED
    for name in metering_sidecar.__all__:
        member = getattr(metering_sidecar, name)
        assert member is not None
        if isinstance(member, type) and issubclass(member, Exception):
            assert issubclass(member, metering_sidecar.SidecarError)


def test_the_error_tree_has_one_root() -> None:
    """Every exported error derives from SidecarError, and the module docstring draws each of them."""
    errors = [getattr(metering_sidecar, n) for n in EXPECTED if n.endswith("Error") or n in {
        "InvalidUsage", "ConflictingEvent", "StorageFull", "DatabaseLocked", "NotFound", "Refused"}]  # fmt: skip
    assert all(issubclass(e, metering_sidecar.SidecarError) for e in errors)
    assert all(e.__name__ in (metering_sidecar.__doc__ or "") for e in errors)


def test_an_unknown_name_is_an_attribute_error() -> None:
    """Lazy exports do not turn typos into something else."""
    with pytest.raises(AttributeError, match="Nope"):
        # The package answers unknown names through __getattr__, so mypy sees Any here.
        metering_sidecar.Nope  # noqa: B018


def test_importing_the_package_is_cheap() -> None:
    """`import metering_sidecar` loads neither the server, boto3 nor SQLite until a name is used."""
    code = "import sys, metering_sidecar\nprint(' '.join(sorted(sys.modules)))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "metering_sidecar" in loaded
    assert not loaded & {"boto3", "aiosqlite", "grpc", "metering_sidecar._app"}


def test_python_m_metering_sidecar_runs_the_command_line() -> None:
    """`python -m metering_sidecar --help` works (the console script's twin)."""
    out = subprocess.run(
        [sys.executable, "-m", "metering_sidecar", "--help"], capture_output=True, text=True, check=True
    )
    assert "serve" in out.stdout

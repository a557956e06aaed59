"""A throwaway PostgreSQL server for cluster-mode tests, on a loopback port, stoppable and restartable.

PostgreSQL refuses to run as root, so as root it runs as the `postgres` user. Debian's postgresql-15
provides the binaries (scripts/install-deps installs it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.procs import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


def available() -> bool:
    """Return whether the PostgreSQL server binaries are installed."""
    return (BIN / "pg_ctl").exists()


class Postgres:
    """initdb, start, stop and start again; ``dsn`` is fixed by the first start and stays the same."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="metering-pg-"))
        self.data = self.root / "data"
        self._use_port(free_port())
        self._started = False
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(str(BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def _run(self, *argv: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_postgres else []
        subprocess.run([*prefix, *argv], check=True, capture_output=True, timeout=120, cwd=self.root)

    def _use_port(self, port: int) -> None:
        self.port = port
        self.dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def start(self) -> None:
        """Start the server and wait until it accepts connections.

        The port was free when it was picked, but another test worker may bind it before the server
        does: the first start then takes another port; a restart, which must keep the ``dsn``, waits
        for the port a few times."""
        log = self.root / "log"
        for attempt in range(5):
            seen = log.stat().st_size if log.exists() else 0
            try:
                self._start()
            except subprocess.CalledProcessError:
                with log.open("rb") as text:
                    text.seek(seen)
                    taken = b"Address already in use" in text.read()
                if attempt == 4 or not taken:
                    raise
                if self._started:
                    time.sleep(1.0)
                else:
                    self._use_port(free_port())
                continue
            self._started = True
            return

    def _start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        """Stop the server at once (clients see their connections drop)."""
        self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        """Stop if running and delete everything."""
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)

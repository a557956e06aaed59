"""The command line in-process: `main(argv, env)` as a test would see a process, without starting one.

Starting `python -m metering_sidecar` costs a second or more (grpc, boto3 and protobuf imports) and hides
the code from in-process coverage; a test whose point is not a real signal or a real process calls the
same `main()` the console script does, here."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from metering_sidecar.cli import main


@dataclass(frozen=True)
class CliResult:
    """What a process would have shown: its exit code, stdout and stderr."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(argv: Sequence[str], env: Mapping[str, str] | None = None) -> CliResult:
    """Run `metering-sidecar *argv` in this process with ``env`` (empty unless given) as its environment.

    argparse's SystemExit (--help, a bad flag) becomes the exit code, as it would for a process. `serve`
    points the "sidecar" logger at stderr; its handlers, level and propagation are put back afterwards,
    so a later test's caplog still sees the package's records. `serve` installs signal handlers, so call
    this from the main thread (a sync test), not through asyncio.to_thread.
    """
    logger = logging.getLogger("sidecar")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(argv), env={} if env is None else env)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        logger.handlers[:] = saved[0]
        logger.setLevel(saved[1])
        logger.propagate = saved[2]
    return CliResult(code, out.getvalue(), err.getvalue())

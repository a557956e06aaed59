"""`python -m metering_sidecar ...` for a child whose coverage tests/procs.py defers: the libraries the sidecar
uses are imported first, unmeasured, and coverage starts before metering_sidecar itself is imported.

Under scripts/test every Python child measures coverage from its first line (pyproject [tool.coverage.run]
patch = ["subprocess"]), and Python 3.11's tracer slows every line it runs, measured or not: importing boto3,
botocore, grpc and psycopg under it costs a `serve` or `emulator` process about 0.2 s of CPU more at each
start, for code that is never measured. Every line of metering_sidecar still runs under coverage here.
"""

from __future__ import annotations

import importlib
import os
import runpy
import sys

DEFERRED = "METERING_SIDECAR_TEST_COVERAGE"  # tests/procs.py moves COVERAGE_PROCESS_CONFIG here
# The third-party modules each command imports (none of them imports metering_sidecar); importing more than a
# command needs would cost more than it saves. psycopg only in cluster mode.
EMULATOR = (
    "cbor2",
    "google.protobuf.json_format",
    "grpc",
    "grpc_health.v1.health",
    "grpc_reflection.v1alpha.reflection",
)
SERVE = (*EMULATOR, "aiosqlite", "boto3.session", "botocore.client", "botocore.session", "grpc.aio",
         "prometheus_client", "stamina")  # fmt: skip
CLUSTER = (*SERVE, "psycopg")


def _libraries(argv: list[str]) -> tuple[str, ...]:
    if argv[:1] != ["serve"]:
        return EMULATOR
    clustered = "--cluster-postgres-dsn" in argv or os.environ.get("METERING_SIDECAR_CLUSTER_POSTGRES_DSN")
    return CLUSTER if clustered else SERVE


def main() -> None:
    """Import the libraries, start coverage with the deferred configuration, run metering_sidecar as -m does."""
    sys.path[0] = os.getcwd()  # as `python -m` has it, rather than this script's directory
    for name in _libraries(sys.argv[1:]):
        try:
            importlib.import_module(name)
        except ImportError:  # psycopg is the [cluster] extra: a test may run without it
            pass
    config = os.environ.pop(DEFERRED, "")
    if config:
        os.environ["COVERAGE_PROCESS_CONFIG"] = config  # for this process and, as before, its children
        import coverage

        coverage.process_startup()
    runpy.run_module("metering_sidecar", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()

"""Named crash points for the reliability suite.

``METERING_SIDECAR_CRASH_AT=name[,name...]`` makes the process exit at once (as a SIGKILL would) the
first time it reaches a named point. Never set in production; read once at import so the hot path
pays one set lookup.
"""

from __future__ import annotations

import os
import sys

POINTS = frozenset(
    {
        "ingest-before-commit",  # events written, transaction not committed
        "ingest-after-commit",  # committed, RPC not yet answered
        "seal-before-commit",  # records built, sealing transaction not committed
        "ship-after-call",  # AWS answered, result not yet stored
    }
)
_ARMED = frozenset(p for p in os.environ.get("METERING_SIDECAR_CRASH_AT", "").split(",") if p)


def crash_point(name: str) -> None:
    """Exit the process abruptly when ``name`` is armed."""
    if name in _ARMED:
        sys.stderr.write(f"crash point {name}: exiting\n")
        sys.stderr.flush()
        os._exit(137)

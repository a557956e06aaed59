"""Cluster mode: per-instance totals summed in PostgreSQL, shipped by one elected instance.

PostgreSQL's driver is the optional extra ``metering-sidecar[cluster]``: without it, single mode works and
cluster mode's classes are stand-ins that refuse to start, naming the extra (exit 2). They are loaded when
first used, so single mode never imports the driver (which cost each start ~0.15 s of CPU).
"""

from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

from metering_sidecar.cluster._port import ClusterLedger

if TYPE_CHECKING:
    from metering_sidecar.cluster._customers import ClusterCustomers
    from metering_sidecar.cluster._ledger import PostgresLedger
    from metering_sidecar.cluster._shipping import ClusterShipping

__all__ = ["ClusterCustomers", "ClusterLedger", "ClusterShipping", "PostgresLedger"]
_LAZY = ("ClusterCustomers", "ClusterShipping", "PostgresLedger")


def __getattr__(name: str) -> Any:
    """Load cluster mode's classes (or their stand-ins, without psycopg) on first use."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if find_spec("psycopg") is not None:
        from metering_sidecar.cluster import _customers, _ledger, _shipping

        found = {"ClusterCustomers": _customers.ClusterCustomers, "ClusterShipping": _shipping.ClusterShipping,
                 "PostgresLedger": _ledger.PostgresLedger}  # fmt: skip
    else:  # pragma: no cover - exercised by a subprocess without psycopg
        from metering_sidecar.cluster import _missing

        found = {name: getattr(_missing, name) for name in _LAZY}
    globals().update(found)
    return found[name]

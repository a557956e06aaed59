"""Cluster mode: per-instance totals summed in PostgreSQL, shipped by one elected instance.

PostgreSQL's driver is the optional extra ``metering-sidecar[cluster]``: without it, single mode works and
cluster mode's classes are stand-ins that refuse to start, naming the extra (exit 2).
"""

from importlib.util import find_spec
from typing import TYPE_CHECKING

if TYPE_CHECKING or find_spec("psycopg") is not None:
    from metering_sidecar.cluster._customers import ClusterCustomers
    from metering_sidecar.cluster._ledger import PostgresLedger
    from metering_sidecar.cluster._shipping import ClusterShipping
else:  # pragma: no cover - exercised by a subprocess without psycopg
    from metering_sidecar.cluster._missing import ClusterCustomers, ClusterShipping, PostgresLedger

from metering_sidecar.cluster._port import ClusterLedger

__all__ = ["ClusterCustomers", "ClusterLedger", "ClusterShipping", "PostgresLedger"]

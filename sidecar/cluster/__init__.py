"""Cluster mode: per-instance totals summed in PostgreSQL, shipped by one elected instance."""

from sidecar.cluster._customers import ClusterCustomers
from sidecar.cluster._ledger import ClusterLedger
from sidecar.cluster._shipping import ClusterShipping

__all__ = ["ClusterCustomers", "ClusterLedger", "ClusterShipping"]

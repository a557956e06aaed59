"""The durable buffer and record ledger (SQLite)."""

from sidecar.store._core import StoreSettings
from sidecar.store._store import Store

__all__ = ["Store", "StoreSettings"]

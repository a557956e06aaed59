"""The durable buffer and record ledger (SQLite)."""

from sidecar.store._store import Store, StoreSettings

__all__ = ["Store", "StoreSettings"]

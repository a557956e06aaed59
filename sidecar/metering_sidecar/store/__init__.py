"""The durable buffer and record ledger (SQLite)."""

from metering_sidecar.store._customers import binding_key
from metering_sidecar.store._handover import Contribution, Contributor, Handed, RecordKey
from metering_sidecar.store._sealing import TagGroup, build_record, canonical
from metering_sidecar.store._settings import StoreSettings
from metering_sidecar.store._store import Store

__all__ = [
    "Contribution",
    "Contributor",
    "Handed",
    "RecordKey",
    "Store",
    "StoreSettings",
    "TagGroup",
    "binding_key",
    "build_record",
    "canonical",
]

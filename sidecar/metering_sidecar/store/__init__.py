"""The durable buffer and record ledger (SQLite), built from parts; Store wires them together."""

from metering_sidecar.store._azure_subscriptions import AzureSubscriptions
from metering_sidecar.store._backlog import Backlog
from metering_sidecar.store._by_marketplace import ByMarketplace, MarketplaceCounts
from metering_sidecar.store._customers import Customers, binding_key
from metering_sidecar.store._database import Database
from metering_sidecar.store._handover import Contribution, Contributor, Handed, Handover, RecordKey
from metering_sidecar.store._ingest import Ingest
from metering_sidecar.store._ledger import Ledger
from metering_sidecar.store._operator import OperatorQueries
from metering_sidecar.store._rows import EventRow, SharedRows, event_row, window_of
from metering_sidecar.store._sealing import SealedThrough, Sealing
from metering_sidecar.store._settings import StoreSettings
from metering_sidecar.store._store import Store

# The AWS record builder moved to the AWS target; kept here for callers of the store's old names.
from metering_sidecar.targets import TagGroup, build_record, canonical

__all__ = [
    "AzureSubscriptions",
    "Backlog",
    "ByMarketplace",
    "Contribution",
    "Contributor",
    "Customers",
    "Database",
    "EventRow",
    "Handed",
    "Handover",
    "Ingest",
    "Ledger",
    "MarketplaceCounts",
    "OperatorQueries",
    "RecordKey",
    "SealedThrough",
    "Sealing",
    "SharedRows",
    "Store",
    "StoreSettings",
    "TagGroup",
    "binding_key",
    "build_record",
    "canonical",
    "event_row",
    "window_of",
]

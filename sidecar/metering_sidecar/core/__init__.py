"""The shared kernel every part uses: the error tree, the domain types, the clock, crash points.

Domain types are plain dataclasses: protobuf stops at the API servicers, boto3 dicts at the marketplace
adapter. Nothing here imports another part.
"""

from metering_sidecar.core._clock import Clock, ManualClock, SystemClock, utc_text
from metering_sidecar.core._errors import (
    ConfigError,
    ConflictingEvent,
    DatabaseLocked,
    InvalidUsage,
    LedgerError,
    NotFound,
    Refused,
    RemoteError,
    SidecarError,
    StorageError,
    StorageFull,
)
from metering_sidecar.core._faults import POINTS, crash_point
from metering_sidecar.core._fingerprint import (
    DERIVED,
    Content,
    common_fingerprint,
    content,
    fingerprint_of_wire,
    same_content,
)
from metering_sidecar.core._http import stop_now
from metering_sidecar.core._model import (
    MAX_QUANTITY,
    AppendResult,
    Customer,
    CustomerField,
    Entitlement,
    EntitlementValue,
    Outcome,
    PassResult,
    Record,
    RecordOutcome,
    RecordState,
    RecordView,
    ResolvedCustomer,
    SealResult,
    Status,
    UsageEvent,
)

__all__ = [
    "DERIVED",
    "MAX_QUANTITY",
    "POINTS",
    "AppendResult",
    "Clock",
    "ConfigError",
    "ConflictingEvent",
    "Content",
    "Customer",
    "CustomerField",
    "DatabaseLocked",
    "Entitlement",
    "EntitlementValue",
    "InvalidUsage",
    "LedgerError",
    "ManualClock",
    "NotFound",
    "Outcome",
    "PassResult",
    "Record",
    "RecordOutcome",
    "RecordState",
    "RecordView",
    "Refused",
    "RemoteError",
    "ResolvedCustomer",
    "SealResult",
    "SidecarError",
    "Status",
    "StorageError",
    "StorageFull",
    "SystemClock",
    "UsageEvent",
    "common_fingerprint",
    "content",
    "crash_point",
    "fingerprint_of_wire",
    "same_content",
    "stop_now",
    "utc_text",
]

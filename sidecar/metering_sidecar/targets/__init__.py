"""Marketplace targets: each marketplace's rules for events, frozen records, calls and verdicts.

The store and the shipper are marketplace-neutral: they ask a ``TargetRegistry`` for the target of a
record (by its ``customer_field``, or its marketplace) and hand it the record's key, groups and calls.
"""

from metering_sidecar.targets._aws import DISABLED, SPLIT_CODES, AwsTarget, match_key
from metering_sidecar.targets._aws_api import (
    CREDENTIAL_ERROR_NAMES,
    UNREACHABLE_CODES,
    AwsMeteringApi,
    BatchMeterUsageResult,
    UsageRecord,
    UsageRecordResult,
)
from metering_sidecar.targets._aws_calls import MAX_CALL_BYTES, MAX_RECORDS_PER_CALL, AwsCall, plan_calls
from metering_sidecar.targets._aws_record import build_record
from metering_sidecar.targets._azure import AZURE_FIELD, AzureTarget
from metering_sidecar.targets._azure import UNREACHABLE_CODES as AZURE_UNREACHABLE_CODES
from metering_sidecar.targets._azure_api import (
    AZURE_MARKETPLACE_RESOURCE,
    AZURE_MARKETPLACE_SCOPE,
    MAX_EVENTS_PER_CALL,
    AzureApi,
    AzureSubscription,
    AzureUsageResult,
)
from metering_sidecar.targets._azure_binding import AzureBinding
from metering_sidecar.targets._azure_ids import PLAN_ID_RULE, plan_id, subscription_id
from metering_sidecar.targets._azure_units import micro_units, quantity_text
from metering_sidecar.targets._registry import DEFAULT_EXPIRY_MARGIN, TargetRegistry, default_targets
from metering_sidecar.targets._target import (
    BuiltRecord,
    Call,
    CallResult,
    RecordKey,
    TagGroup,
    Target,
    Verdict,
    canonical,
    tags_json,
)

__all__ = [
    "AZURE_FIELD",
    "AZURE_MARKETPLACE_RESOURCE",
    "AZURE_MARKETPLACE_SCOPE",
    "AZURE_UNREACHABLE_CODES",
    "CREDENTIAL_ERROR_NAMES",
    "DEFAULT_EXPIRY_MARGIN",
    "DISABLED",
    "MAX_CALL_BYTES",
    "MAX_EVENTS_PER_CALL",
    "MAX_RECORDS_PER_CALL",
    "PLAN_ID_RULE",
    "SPLIT_CODES",
    "UNREACHABLE_CODES",
    "AwsCall",
    "AwsMeteringApi",
    "AwsTarget",
    "AzureApi",
    "AzureBinding",
    "AzureSubscription",
    "AzureTarget",
    "AzureUsageResult",
    "BatchMeterUsageResult",
    "BuiltRecord",
    "Call",
    "CallResult",
    "RecordKey",
    "TagGroup",
    "Target",
    "TargetRegistry",
    "UsageRecord",
    "UsageRecordResult",
    "Verdict",
    "build_record",
    "canonical",
    "default_targets",
    "match_key",
    "micro_units",
    "plan_calls",
    "plan_id",
    "quantity_text",
    "subscription_id",
    "tags_json",
]

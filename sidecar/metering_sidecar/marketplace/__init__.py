"""The AWS Marketplace interface and its boto3 adapter."""

from metering_sidecar.marketplace._boto import BotoMarketplace
from metering_sidecar.marketplace._interface import EntitlementsPage, Marketplace
from metering_sidecar.marketplace._retry import with_retries

# The metering answer types and the unreachable codes belong to the AWS target; kept here for callers.
from metering_sidecar.targets import UNREACHABLE_CODES, BatchMeterUsageResult, UsageRecord, UsageRecordResult

__all__ = [
    "UNREACHABLE_CODES",
    "BatchMeterUsageResult",
    "BotoMarketplace",
    "EntitlementsPage",
    "Marketplace",
    "UsageRecord",
    "UsageRecordResult",
    "with_retries",
]

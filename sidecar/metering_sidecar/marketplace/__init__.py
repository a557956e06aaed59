"""The AWS Marketplace interface and its boto3 adapter."""

from metering_sidecar.marketplace._boto import UNREACHABLE_CODES, BotoMarketplace
from metering_sidecar.marketplace._interface import (
    BatchMeterUsageResult,
    EntitlementsPage,
    Marketplace,
    UsageRecord,
    UsageRecordResult,
)
from metering_sidecar.marketplace._retry import with_retries

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

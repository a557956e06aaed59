"""The AWS Marketplace interface and its boto3 adapter."""

from sidecar.marketplace._boto import UNREACHABLE_CODES, BotoMarketplace
from sidecar.marketplace._interface import (
    BatchMeterUsageResult,
    EntitlementsPage,
    Marketplace,
    UsageRecord,
    UsageRecordResult,
)

__all__ = [
    "UNREACHABLE_CODES",
    "BatchMeterUsageResult",
    "BotoMarketplace",
    "EntitlementsPage",
    "Marketplace",
    "UsageRecord",
    "UsageRecordResult",
]

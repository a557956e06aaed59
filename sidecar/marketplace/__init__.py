"""The AWS Marketplace interface and its boto3 adapter."""

from sidecar.marketplace._boto import BotoMarketplace
from sidecar.marketplace._interface import (
    BatchMeterUsageResult,
    Marketplace,
    UsageRecord,
    UsageRecordResult,
)

__all__ = ["BatchMeterUsageResult", "BotoMarketplace", "Marketplace", "UsageRecord", "UsageRecordResult"]

"""The marketplace adapters: AWS Marketplace through boto3, Azure Marketplace over HTTPS with azure-identity."""

from metering_sidecar.marketplace._azure import DEFAULT_API_URL as AZURE_DEFAULT_API_URL
from metering_sidecar.marketplace._azure import AzureMarketplace
from metering_sidecar.marketplace._azure_auth import DEFAULT_AUTHORITY_HOST as AZURE_DEFAULT_AUTHORITY_HOST
from metering_sidecar.marketplace._azure_auth import AzureIdentity
from metering_sidecar.marketplace._azure_factory import azure_from_config
from metering_sidecar.marketplace._boto import BotoMarketplace
from metering_sidecar.marketplace._interface import EntitlementsPage, Marketplace
from metering_sidecar.marketplace._retry import with_retries

# The metering answer types and the unreachable codes belong to the targets; kept here for callers.
from metering_sidecar.targets import (
    AZURE_UNREACHABLE_CODES,
    UNREACHABLE_CODES,
    BatchMeterUsageResult,
    UsageRecord,
    UsageRecordResult,
)

__all__ = [
    "AZURE_DEFAULT_API_URL",
    "AZURE_DEFAULT_AUTHORITY_HOST",
    "AZURE_UNREACHABLE_CODES",
    "UNREACHABLE_CODES",
    "AzureIdentity",
    "AzureMarketplace",
    "BatchMeterUsageResult",
    "BotoMarketplace",
    "EntitlementsPage",
    "Marketplace",
    "UsageRecord",
    "UsageRecordResult",
    "azure_from_config",
    "with_retries",
]

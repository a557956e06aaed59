"""One interface for the AWS Marketplace calls; the boto3 adapter and any fake implement it."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

UsageRecord = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class UsageRecordResult:
    """AWS's verdict on one record: Success, CustomerNotSubscribed or DuplicateRecord."""

    usage_record: UsageRecord
    status: str
    metering_record_id: str


@dataclass(frozen=True, slots=True)
class BatchMeterUsageResult:
    """A BatchMeterUsage answer: per-record results and records AWS did not process."""

    results: Sequence[UsageRecordResult]
    unprocessed: Sequence[UsageRecord]


class Marketplace(abc.ABC):
    """The AWS Marketplace operations the sidecar uses. Errors are RemoteError."""

    @abc.abstractmethod
    async def batch_meter_usage(
        self, *, product_code: str | None, records: Sequence[UsageRecord]
    ) -> BatchMeterUsageResult:
        """Send up to 25 records of one product; ``product_code`` is None for license records."""

    async def close(self) -> None:  # noqa: B027 - optional hook, most adapters hold nothing
        """Release connections."""

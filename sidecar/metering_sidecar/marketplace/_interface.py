"""One interface for the AWS Marketplace calls; the boto3 adapter and any fake implement it."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from metering_sidecar.core import Entitlement, ResolvedCustomer

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


@dataclass(frozen=True, slots=True)
class EntitlementsPage:
    """One GetEntitlements page; ``next_token`` is empty on the last one."""

    entitlements: Sequence[Entitlement]
    next_token: str


class Marketplace(abc.ABC):
    """The AWS Marketplace operations the sidecar uses. Errors are RemoteError."""

    @abc.abstractmethod
    async def batch_meter_usage(
        self, *, product_code: str | None, records: Sequence[UsageRecord]
    ) -> BatchMeterUsageResult:
        """Send up to 25 records of one product; ``product_code`` is None for license records."""

    @abc.abstractmethod
    async def resolve_customer(self, *, registration_token: str) -> ResolvedCustomer:
        """Turn a registration token into the customer it stands for."""

    @abc.abstractmethod
    async def get_entitlements(
        self, *, product_code: str, filters: Mapping[str, Sequence[str]], next_token: str, max_results: int
    ) -> EntitlementsPage:
        """Return one page of entitlements."""

    async def close(self) -> None:  # noqa: B027 - optional hook, most adapters hold nothing
        """Release connections."""

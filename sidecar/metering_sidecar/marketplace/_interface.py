"""One interface for the AWS Marketplace calls; the boto3 adapter and any fake implement it.

The metering answer types belong to the AWS target (``metering_sidecar.targets``), which judges them.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from metering_sidecar.core import Entitlement, ResolvedCustomer
from metering_sidecar.targets import BatchMeterUsageResult, UsageRecord


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

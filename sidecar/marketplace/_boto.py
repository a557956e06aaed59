"""The boto3 adapter: calls run in a thread; ClientError codes become RemoteError in one place."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import boto3
import botocore.config
import botocore.exceptions

from sidecar.errors import RemoteError
from sidecar.marketplace._interface import (
    BatchMeterUsageResult,
    EntitlementsPage,
    Marketplace,
    UsageRecord,
    UsageRecordResult,
)
from sidecar.model import Entitlement, EntitlementValue, ResolvedCustomer

ENTITLEMENT_REGION = "us-east-1"

# AWS error codes that fail a whole call but may succeed when the identical call is repeated.
RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "InternalServiceErrorException",
        "ServiceUnavailableException",
        "InternalFailure",
        "ServiceUnavailable",
        "RequestTimeout",
        "RequestTimeoutException",
        "TooManyRequestsException",
    }
)

CallObserver = Callable[[str, str, float], None]


def _observe_nothing(operation: str, outcome: str, seconds: float) -> None:
    pass


class BotoMarketplace(Marketplace):
    """Marketplace over boto3, which brings the credential chain, signing and endpoint settings."""

    def __init__(
        self,
        *,
        region: str = "",
        endpoint_url: str = "",
        entitlement_endpoint_url: str = "",
        max_attempts: int = 3,
        timeout_seconds: float = 10.0,
        session: boto3.Session | None = None,
        observe: CallObserver = _observe_nothing,
    ) -> None:
        session = session or boto3.Session()
        # botocore's standard retry mode handles transport retries (throttling, 5xx, resets) with
        # its own jittered backoff; record-level retries sit on top in the store's next_attempt_s.
        config = botocore.config.Config(
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            connect_timeout=timeout_seconds,
            read_timeout=timeout_seconds,
            user_agent_extra="metering-sidecar",
        )
        kwargs: dict[str, Any] = {
            "config": config,
            "region_name": region or session.region_name or "us-east-1",
        }
        if endpoint_url:
            kwargs["endpoint_url"] = endpoint_url
        self._metering = session.client("meteringmarketplace", **kwargs)
        # The entitlement service lives in us-east-1 only: pin it, whatever the metering region.
        entitlement_kwargs: dict[str, Any] = {"config": config, "region_name": ENTITLEMENT_REGION}
        if entitlement_endpoint_url:
            entitlement_kwargs["endpoint_url"] = entitlement_endpoint_url
        self._entitlement = session.client("marketplace-entitlement", **entitlement_kwargs)
        self._observe = observe

    async def batch_meter_usage(
        self, *, product_code: str | None, records: Sequence[UsageRecord]
    ) -> BatchMeterUsageResult:
        """Send one BatchMeterUsage call."""
        params: dict[str, Any] = {"UsageRecords": [_to_boto(r) for r in records]}
        if product_code:
            params["ProductCode"] = product_code
        answer = await self._call("BatchMeterUsage", self._metering.batch_meter_usage, params)
        return BatchMeterUsageResult(
            results=[
                UsageRecordResult(
                    usage_record=_from_boto(r.get("UsageRecord", {})),
                    status=str(r.get("Status", "")),
                    metering_record_id=str(r.get("MeteringRecordId", "")),
                )
                for r in answer.get("Results", [])
            ],
            unprocessed=[_from_boto(r) for r in answer.get("UnprocessedRecords", [])],
        )

    async def resolve_customer(self, *, registration_token: str) -> ResolvedCustomer:
        """Call ResolveCustomer."""
        answer = await self._call(
            "ResolveCustomer", self._metering.resolve_customer, {"RegistrationToken": registration_token}
        )
        return ResolvedCustomer(
            customer_identifier=str(answer.get("CustomerIdentifier") or ""),
            customer_aws_account_id=str(answer.get("CustomerAWSAccountId") or ""),
            product_code=str(answer.get("ProductCode") or ""),
            license_arn=str(answer.get("LicenseArn") or ""),
        )

    async def get_entitlements(
        self, *, product_code: str, filters: Mapping[str, Sequence[str]], next_token: str, max_results: int
    ) -> EntitlementsPage:
        """Call GetEntitlements for one page."""
        params: dict[str, Any] = {"ProductCode": product_code, "MaxResults": max_results}
        if filters:
            params["Filter"] = {k: list(v) for k, v in filters.items()}
        if next_token:
            params["NextToken"] = next_token
        answer = await self._call("GetEntitlements", self._entitlement.get_entitlements, params)
        return EntitlementsPage(
            entitlements=[_entitlement(e) for e in answer.get("Entitlements", [])],
            next_token=str(answer.get("NextToken") or ""),
        )

    async def _call(self, operation: str, method: Callable[..., Any], params: dict[str, Any]) -> Any:
        started = time.monotonic()
        outcome = "error"
        try:
            answer = await asyncio.to_thread(lambda: method(**params))
            outcome = "ok"
            return answer
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", "Unknown"))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            outcome = code
            raise RemoteError(
                code, str(error.get("Message", "")), retryable=code in RETRYABLE_CODES or status >= 500
            ) from exc
        except (
            botocore.exceptions.ConnectionError,
            botocore.exceptions.HTTPClientError,
            botocore.exceptions.ConnectTimeoutError,
            botocore.exceptions.ReadTimeoutError,
        ) as exc:
            outcome = "ConnectionError"
            raise RemoteError("ConnectionError", str(exc), retryable=True) from exc
        except botocore.exceptions.NoCredentialsError as exc:
            outcome = "NoCredentials"
            raise RemoteError("NoCredentials", str(exc), retryable=True) from exc
        finally:
            self._observe(operation, outcome, time.monotonic() - started)


def _entitlement(raw: Mapping[str, Any]) -> Entitlement:
    value = raw.get("Value") or {}
    chosen: EntitlementValue = None
    for key in ("IntegerValue", "DoubleValue", "BooleanValue", "StringValue"):
        if key in value:
            chosen = value[key]
            break
    expires = raw.get("ExpirationDate")
    return Entitlement(
        product_code=str(raw.get("ProductCode") or ""),
        dimension=str(raw.get("Dimension") or ""),
        customer_aws_account_id=str(raw.get("CustomerAWSAccountId") or ""),
        customer_identifier=str(raw.get("CustomerIdentifier") or ""),
        license_arn=str(raw.get("LicenseArn") or ""),
        expiration_date=expires.timestamp() if isinstance(expires, dt.datetime) else None,
        value=chosen,
    )


def _to_boto(record: UsageRecord) -> dict[str, Any]:
    out = dict(record)
    out["Timestamp"] = dt.datetime.fromtimestamp(int(record["Timestamp"]), tz=dt.UTC)
    return out


def _from_boto(record: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(record)
    stamp = out.get("Timestamp")
    if isinstance(stamp, dt.datetime):
        out["Timestamp"] = int(stamp.timestamp())
    return out

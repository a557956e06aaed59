"""The AWS Marketplace target: BatchMeterUsage records, calls, and how AWS's answers are judged (I2, I4, I6).

Records are sent exactly as frozen. Per-record statuses are always read: Success bills,
CustomerNotSubscribed and DuplicateRecord dead-letter, UnprocessedRecords retry. A whole-call failure
either retries the identical records later (throttling, 5xx, timeouts, dropped connections), stops
shipping to AWS for a while (DisabledApiException) or, for a bad record, splits the call until the bad
record stands alone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from metering_sidecar.core import MAX_QUANTITY, CustomerField, Outcome, Record, RemoteError
from metering_sidecar.targets._aws_api import UNREACHABLE_CODES, AwsMeteringApi, BatchMeterUsageResult
from metering_sidecar.targets._aws_calls import AwsCall, plan_calls, product_code_of
from metering_sidecar.targets._aws_failures import THROTTLED, call_failure
from metering_sidecar.targets._aws_record import build_record, groups_of
from metering_sidecar.targets._target import (
    BuiltRecord,
    Call,
    CallResult,
    RecordKey,
    TagGroup,
    Verdict,
    not_configured,
)

log = logging.getLogger("sidecar.shipping")

# A whole call fails because of its content: split it to find the bad record, dead-letter that one.
SPLIT_CODES = frozenset(
    {
        "TimestampOutOfBoundsException",
        "InvalidCustomerIdentifierException",
        "InvalidTagException",
        "InvalidUsageAllocationsException",
        "InvalidLicenseException",
        "InvalidProductCodeException",
        "InvalidUsageDimensionException",
        "ValidationException",
    }
)
DISABLED = "DisabledApiException"
AWS_MAX_RECORD_AGE = 6 * 3600.0

MatchKey = tuple[str, str, str, int, str]


def match_key(record: Mapping[str, Any]) -> MatchKey:
    """Return what ties an echoed UsageRecord to the one sent: customer, dimension, timestamp, license."""
    field = "CustomerAWSAccountId" if record.get("CustomerAWSAccountId") else "CustomerIdentifier"
    return (
        field,
        str(record.get(field, "")),
        str(record.get("Dimension", "")),
        int(record.get("Timestamp", 0)),
        str(record.get("LicenseArn") or ""),
    )


class AwsTarget:
    """AWS Marketplace Metering Service, BatchMeterUsage; ``api`` is the adapter (None: encode only)."""

    marketplace = "aws"
    customer_fields = frozenset({str(CustomerField.ACCOUNT_ID), str(CustomerField.IDENTIFIER)})
    quantity_scale = 0
    max_record_units = MAX_QUANTITY  # AWS's Quantity is a 32-bit integer
    conflict_reason = "DuplicateRecord"

    def __init__(
        self, api: AwsMeteringApi | None = None, *, max_record_age: float = AWS_MAX_RECORD_AGE
    ) -> None:
        self.api = api
        self.max_record_age = max_record_age

    def encode(self, key: RecordKey, groups: Sequence[TagGroup]) -> BuiltRecord:
        """Freeze one UsageRecord (see ``build_record``)."""
        return build_record(
            customer_field=key.customer_field, customer=key.customer, dimension=key.dimension,
            license_arn=key.license_arn, window_start=key.window_start, groups=groups,
        )  # fmt: skip

    def groups_of(self, payload: str, quantity: int, first_ms: int, events: int) -> list[TagGroup]:
        """Recover the tag groups from a frozen UsageRecord's allocations."""
        return groups_of(payload, quantity, first_ms, events)

    def plan_calls(self, records: Sequence[Record]) -> Iterator[Call]:
        """One product, at most 25 records and under 1 MB per call."""
        return iter(plan_calls(records))

    async def attempt(self, call: Call, now: float) -> CallResult:
        """Send the call's records as frozen and judge every answer."""
        if self.api is None:
            return not_configured(
                call, "AWS Marketplace is not configured: AWS usage is kept and sent once it is"
            )
        code = call.product_code if isinstance(call, AwsCall) else product_code_of(call.records)
        requests = [json.loads(r.request_json) for r in call.records]
        try:
            answer = await self.api.batch_meter_usage(product_code=code, records=requests)
        except RemoteError as exc:
            return await self._failed_call(call.records, code, exc, now)
        return self._read(call.records, requests, answer)

    def _read(
        self, records: Sequence[Record], requests: Sequence[Mapping[str, Any]], answer: BatchMeterUsageResult
    ) -> CallResult:
        by_key = {match_key(request): r for request, r in zip(requests, records, strict=True)}
        verdicts: dict[int, Verdict] = {}
        unmatched: list[tuple[str, Mapping[str, Any]]] = []
        for item in answer.results:
            record = by_key.get(match_key(item.usage_record))
            if record is None:
                unmatched.append((item.status, item.usage_record))
                continue
            verdicts[record.id] = self._judge(record, item.status, item.metering_record_id)
        for unprocessed in answer.unprocessed:
            record = by_key.get(match_key(unprocessed))
            if record is None:
                unmatched.append(("UnprocessedRecords", unprocessed))
            elif record.id not in verdicts:
                verdicts[record.id] = Verdict(record, Outcome.RETRY, message="UnprocessedRecords")
        for record in records:
            if record.id not in verdicts:
                verdicts[record.id] = Verdict(record, Outcome.RETRY, message="missing from AWS's answer")
        return CallResult(list(verdicts.values()), answered=True, unmatched=unmatched)

    @staticmethod
    def _judge(record: Record, status: str, metering_record_id: str) -> Verdict:
        if status == "Success" and metering_record_id:
            return Verdict(record, Outcome.BILLED, reference=metering_record_id)
        if status == "DuplicateRecord":
            log.error(
                "AWS answered DuplicateRecord: another record already holds this customer, dimension and "
                "hour, so this usage was NOT billed (is another sidecar or integration metering it?)",
                extra={"fields": {"record_id": record.id, "request": record.request_json}},
            )
            return Verdict(record, Outcome.DEAD, reason="DuplicateRecord",
                           message="a different record for this customer, dimension and hour exists")  # fmt: skip
        if status == "CustomerNotSubscribed":
            log.warning("customer not subscribed; record dead-lettered",
                        extra={"fields": {"record_id": record.id}})  # fmt: skip
            return Verdict(record, Outcome.DEAD, reason="CustomerNotSubscribed",
                           message="the customer has no active subscription to the product")  # fmt: skip
        return Verdict(record, Outcome.RETRY, message=f"unexpected status {status!r}")

    async def _failed_call(
        self, records: Sequence[Record], code: str | None, exc: RemoteError, now: float
    ) -> CallResult:
        if exc.code == DISABLED:
            reason = f"{exc.code}: {exc.message}"
            log.error(
                "SHIPPING STOPPED: AWS says the metering API is disabled for this account or region; "
                "check the region, the product's publication state and the seller account",
                extra={"fields": {"error": reason}},
            )
            return CallResult([Verdict(r, Outcome.RETRY, message=reason) for r in records], stop=reason)
        if exc.code in SPLIT_CODES and not exc.retryable:
            if len(records) == 1:
                log.error("AWS refused a record; dead-lettered",
                          extra={"fields": {"record_id": records[0].id, "error": exc.code}})  # fmt: skip
                return CallResult([Verdict(records[0], Outcome.DEAD, reason=exc.code, message=exc.message)])
            middle = len(records) // 2
            left = await self.attempt(AwsCall(records[:middle], code), now)
            return left + await self.attempt(AwsCall(records[middle:], code), now)
        log.warning("AWS call failed; records will be retried",
                    extra={"fields": {"error": exc.code, "records": len(records)}})  # fmt: skip
        # No answer at all (a hang, no credentials, nothing listening): the rest of the pass would only
        # wait out the same deadline, so the shipper stops it and the records stay due.
        return CallResult([Verdict(r, Outcome.RETRY, message=str(exc)) for r in records],
                          unreachable=exc.code in UNREACHABLE_CODES, throttled=exc.code in THROTTLED,
                          failure=call_failure(exc))  # fmt: skip

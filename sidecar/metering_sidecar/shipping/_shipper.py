"""Ship due records to AWS and turn every answer into a stored outcome (I2, I4, I6).

Records are sent exactly as frozen. Per-record statuses are always read: Success bills,
CustomerNotSubscribed and DuplicateRecord dead-letter, UnprocessedRecords retry. A whole-call
failure either retries the identical records later (throttling, 5xx, timeouts, dropped
connections) or, for a bad record, splits the call until the bad record stands alone.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from metering_sidecar.core import Outcome, PassResult, Record, RecordOutcome, RemoteError, crash_point
from metering_sidecar.marketplace import UNREACHABLE_CODES, Marketplace
from metering_sidecar.shipping._batching import Call, plan_calls
from metering_sidecar.shipping._pacing import Pacer


class RecordLedger(Protocol):
    """Where frozen records live: the local store in single mode, PostgreSQL in cluster mode."""

    async def expire(self, now: float) -> list[int]: ...

    async def due_records(self, now: float, limit: int = 10_000) -> list[Record]: ...

    async def apply(self, outcomes: Sequence[RecordOutcome], now: float) -> None: ...


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
BASE_BACKOFF_SECONDS = 1.0
DUE_PAGE = 10_000  # records a pass takes on; a full page makes the next pass start at once


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter, capped: attempt n waits between d/2 and d, d = base * 2**n."""

    cap: float
    base: float = BASE_BACKOFF_SECONDS
    rng: Callable[[], float] = random.random

    def delay(self, attempts: int) -> float:
        """Return the wait before attempt ``attempts + 1``."""
        ceiling: float = min(self.cap, self.base * 2.0 ** min(attempts, 32))
        return ceiling / 2 + float(self.rng()) * ceiling / 2


OutcomeObserver = Callable[[RecordOutcome], None]


def _ignore(outcome: RecordOutcome) -> None:
    pass


def _ignore_unmatched() -> None:
    pass


def _match_key(record: Mapping[str, Any]) -> tuple[str, str, str, int, str]:
    field = "CustomerAWSAccountId" if record.get("CustomerAWSAccountId") else "CustomerIdentifier"
    return (
        field,
        str(record.get(field, "")),
        str(record.get("Dimension", "")),
        int(record.get("Timestamp", 0)),
        str(record.get("LicenseArn") or ""),
    )


class Shipper:
    """Turns due records into BatchMeterUsage calls and stores what AWS said."""

    def __init__(
        self,
        store: RecordLedger,
        marketplace: Marketplace,
        backoff: Backoff,
        observe: OutcomeObserver = _ignore,
        unmatched: Callable[[], None] = _ignore_unmatched,
        pacer: Pacer | None = None,
    ) -> None:
        self.store = store
        self.marketplace = marketplace
        self.backoff = backoff
        self.observe = observe
        self.unmatched = unmatched
        self.pacer = pacer or Pacer()
        self.page = DUE_PAGE
        self.disabled_reason = ""
        self._disabled_until = 0.0
        self._unreachable = False

    async def ship_due(self, now: float, result: PassResult) -> None:
        """Expire what is too old, then make one attempt for every due record."""
        expired = await self.store.expire(now)
        if expired:
            log.error(
                "records expired before AWS confirmed them; they are dead letters",
                extra={"fields": {"records": len(expired), "reason": "expired"}},
            )
            result.dead += len(expired)
            for record_id in expired:
                self.observe(RecordOutcome(record_id, Outcome.DEAD, reason="expired"))
        if now < self._disabled_until:
            return
        records = await self.store.due_records(now, self.page)
        self._unreachable = False

        def stop() -> bool:
            # Disabled: no new call starts (those in flight finish and are stored). Unreachable (a timeout,
            # a dead connection, no credentials): the other calls of this pass would wait out the same
            # deadline. Either way the records not sent stay due for the next pass.
            return bool(self.disabled_reason and now < self._disabled_until) or self._unreachable

        await self.pacer.run(plan_calls(records), lambda call: self._ship_call(call, now, result), stop)
        result.more_due = len(records) >= self.page and not stop()

    async def _ship_call(self, call: Call, now: float, result: PassResult) -> None:
        """One call of a pass, concurrent with others (their records are disjoint): send, store, count."""
        outcomes = await self._attempt(call, now)
        self.pacer.answered(outcomes)
        crash_point("ship-after-call")
        await self.store.apply(outcomes, now)
        for outcome in outcomes:
            self._count(outcome, result)

    def _count(self, outcome: RecordOutcome, result: PassResult) -> None:
        if outcome.outcome is Outcome.BILLED:
            result.billed += 1
        elif outcome.outcome is Outcome.DEAD:
            result.dead += 1
        else:
            result.retry += 1
        self.observe(outcome)

    async def _attempt(self, call: Call, now: float) -> list[RecordOutcome]:
        requests = [json.loads(r.request_json) for r in call.records]
        try:
            answer = await self.marketplace.batch_meter_usage(
                product_code=call.product_code, records=requests
            )
        except RemoteError as exc:
            return await self._failed_call(call, exc, now)
        if self.disabled_reason:
            log.info("shipping resumed: AWS accepts calls again")
            self.disabled_reason = ""
        by_key = {_match_key(request): r for request, r in zip(requests, call.records, strict=True)}
        outcomes: dict[int, RecordOutcome] = {}
        for item in answer.results:
            record = by_key.get(_match_key(item.usage_record))
            if record is None:
                self._unmatched(item.usage_record, item.status)
                continue
            outcomes[record.id] = self._judge(record, item.status, item.metering_record_id, now)
        for unprocessed in answer.unprocessed:
            record = by_key.get(_match_key(unprocessed))
            if record is None:
                self._unmatched(unprocessed, "UnprocessedRecords")
            elif record.id not in outcomes:
                outcomes[record.id] = self._retry(record, now, "UnprocessedRecords")
        for record in call.records:
            if record.id not in outcomes:
                outcomes[record.id] = self._retry(record, now, "missing from AWS's answer")
        return list(outcomes.values())

    def _unmatched(self, echoed: Mapping[str, Any], status: str) -> None:
        # The records of the call stay unsettled and are retried; the echo itself is evidence to keep.
        self.unmatched()
        log.error(
            "the marketplace answered for a record this call did not send; the call's records will be "
            "retried (report this: the answer cannot be matched)",
            extra={"fields": {"status": status, "echoed_record": echoed}},
        )  # fmt: skip

    def _judge(self, record: Record, status: str, metering_record_id: str, now: float) -> RecordOutcome:
        if status == "Success" and metering_record_id:
            return RecordOutcome(record.id, Outcome.BILLED, metering_record_id=metering_record_id)
        if status == "DuplicateRecord":
            log.error(
                "AWS answered DuplicateRecord: another record already holds this customer, dimension and "
                "hour, so this usage was NOT billed (is another sidecar or integration metering it?)",
                extra={"fields": {"record_id": record.id, "request": record.request_json}},
            )
            return RecordOutcome(record.id, Outcome.DEAD, reason="DuplicateRecord",
                                 message="a different record for this customer, dimension and hour exists")  # fmt: skip
        if status == "CustomerNotSubscribed":
            log.warning("customer not subscribed; record dead-lettered",
                        extra={"fields": {"record_id": record.id}})  # fmt: skip
            return RecordOutcome(record.id, Outcome.DEAD, reason="CustomerNotSubscribed",
                                 message="the customer has no active subscription to the product")  # fmt: skip
        return self._retry(record, now, f"unexpected status {status!r}")

    def _retry(self, record: Record, now: float, message: str) -> RecordOutcome:
        return RecordOutcome(
            record.id, Outcome.RETRY, message=message, retry_at=now + self.backoff.delay(record.attempts)
        )

    async def _failed_call(self, call: Call, exc: RemoteError, now: float) -> list[RecordOutcome]:
        if exc.code == DISABLED:
            self.disabled_reason = f"{exc.code}: {exc.message}"
            self._disabled_until = now + self.backoff.cap
            log.error(
                "SHIPPING STOPPED: AWS says the metering API is disabled for this account or region; "
                "check the region, the product's publication state and the seller account",
                extra={"fields": {"error": self.disabled_reason}},
            )
            return [self._retry(r, now, self.disabled_reason) for r in call.records]
        if exc.code in SPLIT_CODES and not exc.retryable:
            if len(call.records) == 1:
                record = call.records[0]
                log.error("AWS refused a record; dead-lettered",
                          extra={"fields": {"record_id": record.id, "error": exc.code}})  # fmt: skip
                return [RecordOutcome(record.id, Outcome.DEAD, reason=exc.code, message=exc.message)]
            middle = len(call.records) // 2
            left = await self._attempt(Call(call.product_code, call.records[:middle]), now)
            right = await self._attempt(Call(call.product_code, call.records[middle:]), now)
            return left + right
        if exc.code in UNREACHABLE_CODES:
            # No answer at all (a hang, no credentials, nothing listening): the rest of the pass would
            # only wait out the same deadline, so it stops and the records stay due.
            self._unreachable = True
        log.warning("AWS call failed; records will be retried",
                    extra={"fields": {"error": exc.code, "records": len(call.records)}})  # fmt: skip
        return [self._retry(r, now, str(exc)) for r in call.records]

"""Ship due records through their marketplace's target and store every verdict (I2, I4, I6).

The shipper is marketplace-neutral. It asks the ledger for due records, has each record's target plan
calls and send them (the target judges every answer: billed, retry, dead), picks when a retry is due
(exponential backoff), and stores the outcomes. A target may say its marketplace refuses calls for
now (``stop``: AWS's DisabledApiException) or did not answer at all (``unreachable``); then shipping
to that marketplace pauses, and the others go on. A call that failed for another reason than its records
(``CallResult.failure``: no credentials, a 5xx) pauses nothing; ``last_error`` says since when it fails.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from metering_sidecar.core import Clock, Outcome, PassResult, Record, RecordOutcome, crash_point
from metering_sidecar.shipping._failures import CallFailures
from metering_sidecar.shipping._pacing import Pacer
from metering_sidecar.targets import (
    AwsMeteringApi,
    AwsTarget,
    Call,
    CallResult,
    Target,
    TargetRegistry,
    Verdict,
)


class RecordLedger(Protocol):
    """Where frozen records live: the local store in single mode, PostgreSQL in cluster mode."""

    async def expire(self, now: float) -> list[int]: ...

    async def due_records(
        self, now: float, limit: int = 10_000, *, exclude: Collection[str] = ()
    ) -> list[Record]:
        """Due records, none of the marketplaces named in ``exclude`` (they take no calls for now)."""
        ...

    async def apply(self, outcomes: Sequence[RecordOutcome], now: float) -> None: ...

    async def make_due(self, now: float, *, exclude: Collection[str] = ()) -> int:
        """Make every pending record waiting out a backoff due at ``now`` (none of ``exclude``'s)."""
        ...


log = logging.getLogger("sidecar.shipping")

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


def _planned(target: Target, records: Sequence[Record]) -> Iterator[tuple[Target, Call]]:
    for call in target.plan_calls(records):
        yield target, call


class Shipper:
    """Turns due records into calls through their targets and stores what each marketplace said."""

    def __init__(
        self,
        store: RecordLedger,
        targets: TargetRegistry | AwsMeteringApi,
        backoff: Backoff,
        observe: OutcomeObserver = _ignore,
        unmatched: Callable[[], None] = _ignore_unmatched,
        pacer: Pacer | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        # An AWS adapter alone (the Marketplace interface, as before targets) is the AWS target.
        self.targets = (
            targets if isinstance(targets, TargetRegistry) else TargetRegistry([AwsTarget(targets)])
        )
        self.backoff = backoff
        self.observe = observe
        self.unmatched = unmatched
        self.pacer = pacer or Pacer()
        self.page = DUE_PAGE
        # Each call reads the time when it starts and when its answer is back: with pacing a pass can last
        # minutes. Without a clock every call takes the pass's ``now`` (passes driven by hand, in tests).
        self.clock = clock
        self._stopped: dict[str, str] = {}  # marketplace -> why it refuses calls (until it answers again)
        self._stopped_until: dict[str, float] = {}
        self._unreachable: set[str] = set()  # marketplaces that did not answer in this pass
        self.failures = CallFailures()  # marketplaces whose calls fail (no credentials, no answer, 5xx)
        self._sent = 0  # calls handed to a target, all passes together

    @property
    def disabled_reason(self) -> str:
        """Return why shipping is stopped ('' while every marketplace takes calls)."""
        return "; ".join(self._stopped.values())

    @property
    def last_error(self) -> str:
        """Return why the latest calls of each marketplace failed, and since when ('' while they go through).

        Not a stop: shipping goes on, readiness and the shipping-disabled metrics ignore it.
        """
        return self.failures.describe()

    @property
    def marketplace(self) -> AwsMeteringApi | None:
        """Return the AWS target's adapter (the shipper's one marketplace before targets)."""
        return self._aws().api

    @marketplace.setter
    def marketplace(self, api: AwsMeteringApi) -> None:
        self._aws().api = api

    def _aws(self) -> AwsTarget:
        target = self.targets.get(AwsTarget.marketplace)
        assert isinstance(target, AwsTarget)
        return target

    async def ship_due(self, now: float, result: PassResult, *, retry_now: bool = False) -> None:
        """Expire what is too old, then make one attempt for every due record.

        ``retry_now`` (the Flush RPC): records waiting out their backoff are due now too. A marketplace that
        said stop stays paused; pacing still applies.
        """
        expired = await self.store.expire(now)
        if expired:
            log.error(
                "records expired before their marketplace confirmed them; they are dead letters",
                extra={"fields": {"records": len(expired), "reason": "expired"}},
            )
            result.dead += len(expired)
            for record_id in expired:
                self.observe(RecordOutcome(record_id, Outcome.DEAD, reason="expired"))
        paused = frozenset(t.marketplace for t in self.targets if self._paused(t.marketplace, now))
        if all(t.marketplace in paused for t in self.targets):
            return
        self._unreachable.clear()
        if retry_now:
            await self.store.make_due(now, exclude=paused)
        # A paused marketplace's records are left in the store: read, they would fill the page (and in an
        # AWS-only deployment, where Azure never pauses, keep a stopped AWS's pass going back to back).
        records = await self.store.due_records(now, self.page, exclude=paused)
        sent_before = self._sent

        # Each marketplace's calls go side by side with the others', at its own pace. A marketplace that stopped
        # (disabled, refused) or did not answer (a timeout, a dead connection, no credentials) starts no more
        # calls in this pass; its calls in flight finish and are stored, the records not sent stay due.
        await self.pacer.run(
            self._lanes(records),
            lambda planned: self._ship_call(*planned, now, result),
            lambda marketplace: self._closed(marketplace, self._time(now)),
        )
        # A full page says more may be due, but only if it led to calls and a marketplace of its records still
        # takes them: a page no call could take, or whose marketplaces all stopped or did not answer, would be
        # read again at once, pass after pass.
        result.more_due = (
            len(records) >= self.page
            and self._sent > sent_before
            and any(not self._closed(m, self._time(now)) for m in {r.marketplace for r in records})
        )

    async def _ship_call(self, target: Target, call: Call, pass_now: float, result: PassResult) -> None:
        """One call of a pass, concurrent with others (their records are disjoint): send, store, count."""
        now = self._time(pass_now)
        if self._closed(target.marketplace, now):
            return  # its marketplace said stop while this call waited for its turn: the records stay due
        live = [r for r in call.records if r.expires_at > now]
        if len(live) < len(call.records):
            # They expired while the call waited for its turn: expire() makes them dead letters; a marketplace
            # that took them now could no longer be trusted to bill them.
            log.warning("records expired while their call waited for its turn; they are not sent",
                        extra={"fields": {"marketplace": target.marketplace, "records": len(call.records) - len(live)}})  # fmt: skip
            if not live:
                return
            call = dataclasses.replace(call, records=live)
        self._sent += 1
        answer = await target.attempt(call, now)
        # The answer is back: retries wait from now, and now is when its records finished.
        now = self._time(pass_now)
        outcomes = self._judged(target.marketplace, answer, now)
        self.pacer.answered(target.marketplace, answer)
        crash_point("ship-after-call")
        await self.store.apply(outcomes, now)
        for outcome in outcomes:
            self._count(outcome, result)

    def _time(self, pass_now: float) -> float:
        """Return the time now, never before the pass began (the pass's own time without a clock)."""
        return pass_now if self.clock is None else max(pass_now, self.clock.now())

    def _paused(self, marketplace: str, now: float) -> bool:
        return now < self._stopped_until.get(marketplace, 0.0)

    def _closed(self, marketplace: str, now: float) -> bool:
        return self._paused(marketplace, now) or marketplace in self._unreachable

    def _lanes(self, records: Sequence[Record]) -> dict[str, Iterator[tuple[Target, Call]]]:
        """Each marketplace's calls, planned by its target (lazily: the pacer decides before each call whether
        its marketplace is still worth it)."""
        by_marketplace: dict[str, list[Record]] = {}
        for record in records:
            by_marketplace.setdefault(record.marketplace, []).append(record)
        lanes: dict[str, Iterator[tuple[Target, Call]]] = {}
        for marketplace, mine in by_marketplace.items():
            try:
                target = self.targets.get(marketplace)
            except LookupError as exc:
                # Nothing here can send them: they stay due (and expire into dead letters in time).
                log.error("records of a marketplace this sidecar cannot ship are left pending",
                          extra={"fields": {"marketplace": marketplace, "records": len(mine), "error": str(exc)}})  # fmt: skip
                continue
            lanes[marketplace] = _planned(target, mine)
        return lanes

    def _count(self, outcome: RecordOutcome, result: PassResult) -> None:
        if outcome.outcome is Outcome.BILLED:
            result.billed += 1
        elif outcome.outcome is Outcome.DEAD:
            result.dead += 1
        else:
            result.retry += 1
        self.observe(outcome)

    def _judged(self, marketplace: str, answer: CallResult, now: float) -> list[RecordOutcome]:
        """What a call's answer says of the marketplace, then each record's outcome."""
        self._note(marketplace, answer, now)
        self.failures.note(marketplace, answer, now)
        return [self._outcome(v, now) for v in answer.verdicts]

    def _note(self, marketplace: str, answer: CallResult, now: float) -> None:
        for status, echoed in answer.unmatched:
            self._unmatched(echoed, status)
        if answer.stop:
            log.warning("shipping to this marketplace pauses for one backoff cap; its records stay due",
                        extra={"fields": {"marketplace": marketplace, "error": answer.stop}})  # fmt: skip
            self._stopped[marketplace] = answer.stop
            self._stopped_until[marketplace] = now + self.backoff.cap
        elif answer.answered and marketplace in self._stopped:
            log.info("shipping resumed: the marketplace accepts calls again",
                     extra={"fields": {"marketplace": marketplace}})  # fmt: skip
            del self._stopped[marketplace]
        if answer.unreachable:
            self._unreachable.add(marketplace)

    def _outcome(self, verdict: Verdict, now: float) -> RecordOutcome:
        record = verdict.record
        if verdict.outcome is Outcome.BILLED:
            return RecordOutcome(record.id, Outcome.BILLED, metering_record_id=verdict.reference)
        if verdict.outcome is Outcome.DEAD:
            return RecordOutcome(record.id, Outcome.DEAD, reason=verdict.reason, message=verdict.message)
        return RecordOutcome(
            record.id,
            Outcome.RETRY,
            message=verdict.message,
            retry_at=now + self.backoff.delay(record.attempts),
        )

    def _unmatched(self, echoed: Mapping[str, Any], status: str) -> None:
        # The records of the call stay unsettled and are retried; the echo itself is evidence to keep.
        self.unmatched()
        log.error(
            "the marketplace answered for a record this call did not send; the call's records will be "
            "retried (report this: the answer cannot be matched)",
            extra={"fields": {"status": status, "echoed_record": echoed}},
        )  # fmt: skip

"""The Azure Marketplace target: metered billing usage events, batchUsageEvent calls, and their verdicts.

One usage event per resource, dimension and hour, as for AWS; but a resend of an accepted event is
answered ``Duplicate``, not with the original id. The Duplicate carries the accepted event: when it is
the frozen record itself (same resource, plan, dimension, hour and quantity), the record is billed under
the accepted ``usageEventId``; that is what turns a lost answer after a crash into a bill, not a dead
letter. Any other Duplicate is a dead letter naming the event Azure holds.

Sending goes through an injected ``AzureApi`` (HTTP and Entra ID tokens live in the adapter).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from metering_sidecar.core import Outcome, Record, RemoteError, utc_text
from metering_sidecar.targets._azure_api import MAX_EVENTS_PER_CALL, AzureApi, AzureUsageResult
from metering_sidecar.targets._azure_failures import (
    AUTHENTICATION_FAILED,
    NO_ANSWER_CODES,
    THROTTLED,
    call_failure,
)
from metering_sidecar.targets._azure_units import MAX_RECORD_UNITS, QUANTITY_SCALE, exact, quantity_text
from metering_sidecar.targets._target import (
    BuiltRecord,
    Call,
    CallResult,
    RecordKey,
    TagGroup,
    Verdict,
    canonical,
    not_configured,
)

log = logging.getLogger("sidecar.shipping")

AZURE_FIELD = "AzureResourceId"
AZURE_MAX_RECORD_AGE = 24 * 3600.0  # Azure accepts usage of the past 24 hours
HOUR = 3600
# Per-event statuses that will not change on a resend: the record is a dead letter with Azure's reason.
DEAD_STATUSES = frozenset(
    {
        "Expired",
        "ResourceNotFound",
        "ResourceNotAuthorized",
        "ResourceNotActive",
        "InvalidDimension",
        "InvalidQuantity",
        "BadArgument",
    }
)
# Whole-call failures that got no answer at all (the adapter's codes): the rest of the pass would wait the same.
UNREACHABLE_CODES = NO_ANSWER_CODES | {AUTHENTICATION_FAILED}
FORBIDDEN = "Forbidden"
ENDPOINT_HINT = (
    "check --azure-metering-endpoint-url (Azure's own is https://marketplaceapi.microsoft.com/api)"
)
# The ids the adapter puts in a message, different on every call: two refusals alike differ only there.
_REQUEST_IDS = re.compile(r"x-ms-(?:request|correlation)id[:= ]+[\w-]+", re.IGNORECASE)
SPLIT_CODE = "BadRequest"

MatchKey = tuple[str, str, int]


def hour_of(text: Any) -> int | None:
    """Return the start (epoch seconds) of the UTC hour of an effectiveStartTime as Azure writes it, or None.

    Azure echoes times with or without a zone and with fractions of a second; without a zone it is UTC.
    """
    try:
        when = dt.datetime.fromisoformat(str(text).strip())
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.timestamp()) // HOUR * HOUR


def match_key(resource_id: Any, dimension: Any, effective_start_time: Any) -> MatchKey | None:
    """Return what ties an answer to an event sent: resource, dimension and hour (Azure's own rule)."""
    hour = hour_of(effective_start_time)
    if hour is None:
        return None
    return (str(resource_id).lower(), str(dimension), hour)


def _event_key(event: Mapping[str, Any]) -> MatchKey:
    key = match_key(event["resourceId"], event["dimension"], event["effectiveStartTime"])
    assert key is not None  # the target wrote it
    return key


def is_ours(accepted: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Return whether the event Azure accepted earlier is this frozen event: resource, plan, dimension,
    hour and quantity (as exact decimals) all equal. Resource ids are GUIDs, compared case-insensitively."""
    resource = accepted.get("resourceId") or accepted.get("resourceUri")
    quantity = exact(accepted.get("quantity"))
    return (
        str(resource or "").lower() == str(event["resourceId"]).lower()
        and str(accepted.get("planId", "")) == str(event["planId"])
        and str(accepted.get("dimension", "")) == str(event["dimension"])
        and hour_of(accepted.get("effectiveStartTime")) == hour_of(event["effectiveStartTime"])
        and quantity is not None
        and quantity == exact(event["quantity"])
    )


class AzureTarget:
    """Azure Marketplace metered billing (batchUsageEvent); ``api`` is the adapter (None: encode only).

    Status ``Error`` (Microsoft: a generic error) is retried, not dead-lettered: a resend can never bill
    twice (Azure keeps one event per resource, dimension and hour, and a resend of an accepted event is
    recognised through its Duplicate answer), while a dead letter would give up usage Azure may take on
    the next attempt. If Azure keeps answering Error, the record becomes an 'expired' dead letter before
    Azure's 24 hours pass, and every attempt's answer is in its message and the logs meanwhile.
    """

    marketplace = "azure"
    customer_fields = frozenset({AZURE_FIELD})
    quantity_scale = QUANTITY_SCALE
    max_record_units = MAX_RECORD_UNITS
    conflict_reason = "Duplicate"

    def __init__(self, api: AzureApi | None = None, *, max_record_age: float = AZURE_MAX_RECORD_AGE) -> None:
        self.api = api
        self.max_record_age = max_record_age

    def encode(self, key: RecordKey, groups: Sequence[TagGroup]) -> BuiltRecord:
        """Freeze one usage event; an hour that totals 0 is kept but never sent (Azure wants more than 0).

        Azure has no tags: tagged usage counts in the total like untagged usage.
        """
        units = sum(g.quantity for g in groups)
        first_ms = min(g.first_event_ms for g in groups)
        timestamp_s = max(key.window_start, first_ms // 1000)
        event = {
            "dimension": key.dimension,
            "effectiveStartTime": utc_text(timestamp_s),
            "planId": key.product,
            "quantity": quantity_text(units),
            "resourceId": key.customer,
        }
        return BuiltRecord(
            request_json=canonical(event),
            timestamp_s=timestamp_s,
            quantity=units,
            first_event_ms=first_ms,
            events=sum(g.events for g in groups),
            folded_tag_sets=sum(1 for g in groups if g.tags_json),
            sendable=units > 0,
        )

    def groups_of(self, payload: str, quantity: int, first_ms: int, events: int) -> list[TagGroup]:
        """One untagged group: an Azure event carries no tags."""
        return [TagGroup("", quantity, first_ms, events)]

    def plan_calls(self, records: Sequence[Record]) -> Iterator[Call]:
        """At most 25 events a call, never two for one resource, dimension and hour.

        Azure's results echo the resource, dimension and time, not the plan: two events of one call with that
        key could not be told apart (``_read`` matches answers by it). Each record's payload is read once:
        the first record of each key goes in the first round, the second in the next, and so on, each round
        in the order given; the rounds are cut into calls, a call ending when it is full or when the next
        record's key is already in it. The sidecar holds one Entra app, so every Azure record may share a call.
        """
        rounds: list[list[tuple[MatchKey, Record]]] = []
        seen: dict[MatchKey, int] = {}
        for record in records:
            key = _event_key(json.loads(record.request_json))
            turn = seen.get(key, 0)
            seen[key] = turn + 1
            if turn == len(rounds):
                rounds.append([])
            rounds[turn].append((key, record))
        batch: list[Record] = []
        keys: set[MatchKey] = set()
        for key, record in (entry for turn in rounds for entry in turn):
            if len(batch) == MAX_EVENTS_PER_CALL or key in keys:
                yield Call(batch)
                batch, keys = [], set()
            batch.append(record)
            keys.add(key)
        if batch:
            yield Call(batch)

    async def attempt(self, call: Call, now: float) -> CallResult:
        """Send the call's events as frozen and judge every answer."""
        if self.api is None:
            return not_configured(call, "Azure Marketplace is not configured (the --azure-* flags): Azure usage "
                                        "is kept and sent once it is")  # fmt: skip
        events, answer = await self._send(call.records)
        if isinstance(answer, RemoteError):
            return await self._failed_call(call.records, answer, now)
        return self._read(call.records, events, answer)

    async def _send(
        self, records: Sequence[Record]
    ) -> tuple[list[Mapping[str, Any]], Sequence[AzureUsageResult] | RemoteError]:
        """Send the records' events as frozen; return them with Azure's results, or the whole call's failure."""
        assert self.api is not None
        events = [json.loads(r.request_json) for r in records]
        try:
            return events, await self.api.batch_usage_event(events)
        except RemoteError as exc:
            return events, exc

    def _read(
        self,
        records: Sequence[Record],
        events: Sequence[Mapping[str, Any]],
        results: Sequence[AzureUsageResult],
    ) -> CallResult:
        sent = {_event_key(e): (r, e) for r, e in zip(records, events, strict=True)}
        verdicts: dict[int, Verdict] = {}
        unmatched: list[tuple[str, Mapping[str, Any]]] = []
        for result in results:
            key = match_key(result.resource_id, result.dimension, result.effective_start_time)
            found = sent.get(key) if key is not None else None
            if found is None:
                unmatched.append((result.status, _echo(result)))
                continue
            record, event = found
            verdicts[record.id] = self._judge(record, event, result)
        for record in records:
            if record.id not in verdicts:
                verdicts[record.id] = Verdict(record, Outcome.RETRY, message="missing from Azure's answer")
        return CallResult(list(verdicts.values()), answered=True, unmatched=unmatched)

    @staticmethod
    def _judge(record: Record, event: Mapping[str, Any], result: AzureUsageResult) -> Verdict:
        status = result.status
        detail = result.error_message or result.error_code
        if status == "Accepted" and result.usage_event_id:
            return Verdict(record, Outcome.BILLED, reference=result.usage_event_id)
        if status == "Accepted":
            # Accepted, but with no id to bill it under: the resend is answered Duplicate, carrying the event
            # Azure accepted and its usageEventId, and that bills it.
            log.warning("Azure accepted a usage event without a usageEventId; it is sent again to learn the id",
                        extra={"fields": {"record_id": record.id}})  # fmt: skip
            return Verdict(record, Outcome.RETRY, message="Azure answered Accepted without a usageEventId: the "
                           "event is sent again, and Azure's Duplicate answer names the accepted one")  # fmt: skip
        if status == "Duplicate":
            return _duplicate(record, event, result)
        if status in DEAD_STATUSES:
            log.warning("Azure refused a usage event; dead-lettered",
                        extra={"fields": {"record_id": record.id, "status": status, "error": detail}})  # fmt: skip
            return Verdict(record, Outcome.DEAD, reason=status, message=detail or f"Azure answered {status}")
        if status == "Error":
            log.warning("Azure answered Error for a usage event; it is sent again later",
                        extra={"fields": {"record_id": record.id, "error": detail}})  # fmt: skip
            return Verdict(record, Outcome.RETRY, message=f"Azure answered Error: {detail}")
        return Verdict(record, Outcome.RETRY, message=f"unexpected status {status!r}")

    async def _failed_call(self, records: Sequence[Record], exc: RemoteError, now: float) -> CallResult:
        if exc.code == FORBIDDEN:
            reason = (
                "Azure refused the token: check the Entra app registered on the offer (tenant id, client id "
                f"and its secret, certificate or federated credential): {exc.message}"
            )
            log.error("SHIPPING STOPPED: Azure Marketplace refuses this sidecar's Entra app",
                      extra={"fields": {"error": reason}})  # fmt: skip
            return CallResult([Verdict(r, Outcome.RETRY, message=reason) for r in records], stop=reason)
        if exc.code == SPLIT_CODE and not exc.retryable:
            return await self._bad_request(records, exc, now)
        if not exc.retryable and exc.code not in UNREACHABLE_CODES:
            # A 404 or another 4xx: the call itself is refused (a wrong endpoint or path), whatever it holds.
            return self._refused_call(records, exc)
        log.warning("Azure call failed; events will be sent again",
                    extra={"fields": {"error": exc.code, "records": len(records)}})  # fmt: skip
        return CallResult([Verdict(r, Outcome.RETRY, message=str(exc)) for r in records],
                          unreachable=exc.code in UNREACHABLE_CODES, throttled=exc.code == THROTTLED,
                          failure=call_failure(exc))  # fmt: skip

    async def _bad_request(self, records: Sequence[Record], exc: RemoteError, now: float) -> CallResult:
        """A 400 for the whole call: split it to find the bad event, while the halves tell one apart.

        If both halves are refused alike, no event is to blame: the call is (an endpoint or proxy refusing
        every request, a request Azure no longer takes). Then nothing is dead-lettered: the events are sent
        again later and Azure shipping stops for a while, saying which setting to check.
        """
        if len(records) == 1:
            log.error("Azure refused a usage event; dead-lettered",
                      extra={"fields": {"record_id": records[0].id, "error": exc.code}})  # fmt: skip
            return CallResult([Verdict(records[0], Outcome.DEAD, reason=exc.code, message=exc.message)])
        middle = len(records) // 2
        halves = (records[:middle], records[middle:])
        sent = [await self._send(half) for half in halves]
        refused = [
            a for _, a in sent if isinstance(a, RemoteError) and a.code == SPLIT_CODE and not a.retryable
        ]
        if len(refused) == 2 and _alike(*refused):
            return self._refused_call(records, refused[0])
        result = CallResult([])
        for half, (events, answer) in zip(halves, sent, strict=True):
            if isinstance(answer, RemoteError):
                result += await self._failed_call(half, answer, now)
            else:
                result += self._read(half, events, answer)
        return result

    @staticmethod
    def _refused_call(records: Sequence[Record], exc: RemoteError) -> CallResult:
        reason = f"Azure refuses the batchUsageEvent call itself ({exc.code}), whatever events it holds: {ENDPOINT_HINT}: {exc.message}"  # fmt: skip
        log.error("SHIPPING STOPPED: Azure Marketplace refuses every usage call",
                  extra={"fields": {"error": reason, "records": len(records)}})  # fmt: skip
        return CallResult([Verdict(r, Outcome.RETRY, message=reason) for r in records], stop=reason)


def _alike(first: RemoteError, second: RemoteError) -> bool:
    """Return whether two refusals say the same, apart from the ids of their requests."""
    said = {(e.code, _REQUEST_IDS.sub("", e.message)) for e in (first, second)}
    return len(said) == 1


def _duplicate(record: Record, event: Mapping[str, Any], result: AzureUsageResult) -> Verdict:
    accepted = result.accepted_message
    if accepted is not None and is_ours(accepted, event):
        # Our own event, accepted before (its answer was lost, or the process died before storing it).
        return Verdict(record, Outcome.BILLED, reference=str(accepted.get("usageEventId") or ""))
    held = (
        f"usageEventId {accepted.get('usageEventId', '?')}, quantity {accepted.get('quantity', '?')}, "
        f"planId {accepted.get('planId', '?')}"
        if accepted is not None
        else "Azure did not say which"
    )
    log.error(
        "Azure answered Duplicate: another usage event already holds this resource, dimension and hour, so "
        "this usage was NOT billed (is another sidecar or integration metering it?)",
        extra={"fields": {"record_id": record.id, "request": record.request_json, "accepted": held}},
    )
    return Verdict(record, Outcome.DEAD, reason="Duplicate",
                   message=f"a different usage event for this resource, dimension and hour was accepted: {held}")  # fmt: skip


def _echo(result: AzureUsageResult) -> dict[str, Any]:
    return {
        "resourceId": result.resource_id,
        "planId": result.plan_id,
        "dimension": result.dimension,
        "quantity": result.quantity,
        "effectiveStartTime": result.effective_start_time,
    }

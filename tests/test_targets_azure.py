"""The Azure target's rules: exact decimal quantities, the frozen usage event, calls of 25, and every verdict.

Sending goes through the target's own seam, ``AzureApi``: here a small class written in the test answers
with canned results (the real adapter and emulator are tested over HTTP elsewhere). The store under the
end-to-end test is a real SQLite file.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any

import grpc
import pytest
from metering_sidecar import config as config_module
from metering_sidecar._app import Sidecar
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.core import (
    InvalidUsage,
    ManualClock,
    Outcome,
    PassResult,
    Record,
    RemoteError,
    UsageEvent,
)
from metering_sidecar.shipping import Backoff, Shipper
from metering_sidecar.store import Store, StoreSettings
from metering_sidecar.targets import (
    AZURE_FIELD,
    AzureSubscription,
    AzureTarget,
    AzureUsageResult,
    Call,
    CallResult,
    RecordKey,
    TagGroup,
    default_targets,
    micro_units,
    quantity_text,
)

from tests.azure_support import sidecar_settings, start_emulator
from tests.conftest import ACCOUNT, HOUR, START, db_rows, fake_session

WINDOW = (int(START) // HOUR) * HOUR
SETTINGS = StoreSettings(
    window_seconds=HOUR, max_record_age=6 * HOUR, expiry_margin=900, fresh_start_seals_current_window=False
)
RESOURCE = "0f8fad5b-d9cb-469f-a165-70867728950e"
PLAN = "gold"
DEAD_STATUSES = ["Expired", "ResourceNotFound", "ResourceNotAuthorized", "ResourceNotActive", "InvalidDimension",
                 "InvalidQuantity", "BadArgument"]  # fmt: skip

Answer = Callable[[Sequence[Mapping[str, Any]]], Sequence[AzureUsageResult]]


class CannedAzure:
    """An AzureApi answering each batchUsageEvent call with the next scripted answer (or raising it)."""

    def __init__(self, *answers: Answer | RemoteError) -> None:
        self.answers = list(answers)
        self.calls: list[list[Mapping[str, Any]]] = []

    async def batch_usage_event(self, events: Sequence[Mapping[str, Any]]) -> Sequence[AzureUsageResult]:
        self.calls.append(list(events))
        answer = self.answers.pop(0)
        if isinstance(answer, RemoteError):
            raise answer
        return answer(events)

    async def resolve_subscription(self, marketplace_token: str) -> AzureSubscription:
        raise AssertionError("the target never resolves subscriptions")

    async def activate_subscription(self, subscription_id: str, plan_id: str, quantity: int) -> None:
        raise AssertionError("the target never activates subscriptions")

    async def get_subscription(self, subscription_id: str) -> AzureSubscription:
        raise AssertionError("the target never reads subscriptions")

    async def close(self) -> None:
        pass


def result(event: Mapping[str, Any], status: str, **fields: Any) -> AzureUsageResult:
    """Azure's result for ``event``, echoing it as Azure does."""
    return AzureUsageResult(
        status=status, usage_event_id=fields.pop("usage_event_id", ""), resource_id=event["resourceId"],
        plan_id=event["planId"], dimension=event["dimension"], quantity=str(event["quantity"]),
        effective_start_time=event["effectiveStartTime"], **fields,
    )  # fmt: skip


def each(status: str, **fields: Any) -> Answer:
    """An answer giving every event of the call ``status``."""
    return lambda events: [result(e, status, **fields) for e in events]


def key(
    customer: str = RESOURCE, dimension: str = "api", plan: str = PLAN, window: int = WINDOW
) -> RecordKey:
    return RecordKey(plan, "", AZURE_FIELD, customer, dimension, window)


def frozen(record_id: int, quantity: str = "1.5", *, customer: str = RESOURCE, dimension: str = "api",
           plan: str = PLAN, at: int = WINDOW + 75) -> Record:  # fmt: skip
    """A sealed Azure record, as the store hands it to the shipper."""
    built = AzureTarget().encode(
        key(customer, dimension, plan), [TagGroup("", micro_units(quantity), at * 1000, 1)]
    )
    return Record(record_id, plan, False, built.request_json, 0, at + 23 * HOUR, "azure")


async def attempt(api: CannedAzure, *records: Record) -> CallResult:
    return await AzureTarget(api).attempt(Call(records), WINDOW + HOUR)


def test_quantities_are_exact_decimals_kept_as_micro_units() -> None:
    """Text in, micro-units stored, the shortest exact text out; more than 6 places is refused, naming the field."""
    assert micro_units("0.1") == 100_000
    assert micro_units("12") == micro_units("12.000000") == micro_units("0012") == 12_000_000
    assert quantity_text(12_000_000) == "12"
    assert quantity_text(100_000) == "0.1"
    assert quantity_text(1) == "0.000001"  # never "1E-6"
    assert quantity_text(10_000_000) == "10"  # never "1E+1"
    assert quantity_text(10**15) == "1000000000"
    assert quantity_text(micro_units("0.1") + micro_units("0.2")) == "0.3"  # 0.30000000000000004 as floats
    for bad, rule in [("0.0000001", "more than 6 decimal places"), ("-1", "at least 0"), ("nan", "finite"),
                      ("lots", "decimal number"), ("1000000001", "at most 1000000000"),
                      ("0." + "1" * 50, "more digits than the sidecar keeps"),
                      # One spelling per quantity: what Decimal() also takes is refused.
                      ("1.2e1", "ASCII digits"), ("1_000", "ASCII digits"), ("\u0661\u0662", "ASCII digits"),
                      (" 1", "ASCII digits"), ("1\n", "ASCII digits"), ("+1", "ASCII digits"), (".5", "ASCII digits"),
                      ("1.", "ASCII digits"), ("Infinity", "ASCII digits"), ("", "ASCII digits")]:  # fmt: skip
        with pytest.raises(InvalidUsage, match=rule) as refused:
            micro_units(bad)
        assert refused.value.field == "quantity_decimal"


def test_a_record_freezes_as_canonical_json_with_exact_quantity_and_utc_hour_text() -> None:
    """The frozen event: sorted keys, quantity as exact decimal text, effectiveStartTime in Z; no tags."""
    groups = [
        TagGroup("", 1_500_000, (WINDOW + 75) * 1000, 2),
        TagGroup('[["team","a"]]', 250_000, (WINDOW + 80) * 1000, 1),
    ]
    built = AzureTarget().encode(key(), groups)
    stamp = dt.datetime.fromtimestamp(WINDOW + 75, dt.UTC)
    assert built.request_json == (
        '{"dimension":"api","effectiveStartTime":"'
        + stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
        + '","planId":"gold",'
        f'"quantity":"1.75","resourceId":"{RESOURCE}"}}'
    )
    assert (built.quantity, built.timestamp_s, built.events, built.folded_tag_sets, built.sendable) == (
        1_750_000,
        WINDOW + 75,
        3,
        1,
        True,
    )
    # Never stamped before its window (usage rolled forward from an earlier hour).
    early = AzureTarget().encode(key(), [TagGroup("", 1, (WINDOW - 500) * 1000, 1)])
    assert json.loads(early.request_json)["effectiveStartTime"].endswith(":00:00Z")
    assert early.timestamp_s == WINDOW
    assert AzureTarget().groups_of(built.request_json, 1_750_000, 5, 3) == [TagGroup("", 1_750_000, 5, 3)]


def test_an_hour_totalling_zero_is_never_sendable() -> None:
    """Azure wants quantity > 0: a record summing to 0 is built but not sendable."""
    built = AzureTarget().encode(key(), [TagGroup("", 0, WINDOW * 1000, 4)])
    assert not built.sendable
    assert json.loads(built.request_json)["quantity"] == "0"


def test_calls_hold_25_events_and_never_two_for_one_resource_dimension_and_hour() -> None:
    """60 events make calls of 25, 25, 10; two plans of one resource, dimension and hour go apart."""
    records = [frozen(i, customer=f"res-{i}") for i in range(60)]
    assert [len(c.records) for c in AzureTarget().plan_calls(records)] == [25, 25, 10]
    same_hour = [frozen(1, plan="gold"), frozen(2, plan="silver"), frozen(3, dimension="other")]
    assert [[r.id for r in c.records] for c in AzureTarget().plan_calls(same_hour)] == [[1, 3], [2]]


def json_loads_calls(plan: Callable[[], object]) -> int:
    """Run ``plan`` and return how many times it called ``json.loads`` (seen by a profiler hook)."""
    calls = 0

    def count(frame: FrameType, event: str, arg: object) -> None:
        nonlocal calls
        if event == "call" and frame.f_code is json.loads.__code__:
            calls += 1

    sys.setprofile(count)
    try:
        plan()
    finally:
        sys.setprofile(None)
    return calls


def test_planning_reads_each_records_payload_once() -> None:
    """A page of 2,000 records is parsed 2,000 times, not once per call for every record still waiting
    (81,000 times: quadratic in the page, and pages hold 10,000)."""
    records = [frozen(i, customer=f"res-{i}") for i in range(2000)]
    calls: list[Call] = []
    assert json_loads_calls(lambda: calls.extend(AzureTarget().plan_calls(records))) == 2000
    assert [len(c.records) for c in calls] == [25] * 80


def test_calls_never_hold_two_events_for_one_resource_dimension_and_hour() -> None:
    """15 plans of each of 20 resource-dimension-hours: every record in exactly one call, at most 25 a call,
    never one key twice in a call, and the 15 calls that is the fewest possible."""
    records = [frozen(100 * p + 2 * r + d, customer=f"res-{r}", dimension=f"dim-{d}", plan=f"plan-{p}")
               for p in range(15) for r in range(10) for d in range(2)]  # fmt: skip
    calls = list(AzureTarget().plan_calls(records))
    planned = [r.id for c in calls for r in c.records]
    assert sorted(planned) == sorted(r.id for r in records)
    for call in calls:
        events = [json.loads(r.request_json) for r in call.records]
        assert 1 <= len(events) <= 25
        assert len({(e["resourceId"], e["dimension"], e["effectiveStartTime"]) for e in events}) == len(
            events
        )
    assert len(calls) == 15


async def test_accepted_bills_with_the_usage_event_id() -> None:
    """Accepted: billed under Azure's usageEventId; the events sent are the frozen ones."""
    api = CannedAzure(each("Accepted", usage_event_id="ue-1"))
    record = frozen(1, "0.25")
    answer = await attempt(api, record)
    [verdict] = answer.verdicts
    assert (verdict.outcome, verdict.reference, answer.answered) == (Outcome.BILLED, "ue-1", True)
    assert api.calls == [[json.loads(record.request_json)]]
    assert api.calls[0][0]["quantity"] == "0.25"


async def test_a_duplicate_of_our_own_event_bills_under_the_accepted_id() -> None:
    """A resend after a lost answer: Azure's accepted event is ours (quantity equal as a decimal, time written
    Azure's way, resource id in other case), so the record is billed, not dead."""

    def ours(events: Sequence[Mapping[str, Any]]) -> list[AzureUsageResult]:
        accepted = {"usageEventId": "ue-first", "status": "Duplicate", "resourceId": RESOURCE.upper(),
                    "planId": PLAN, "dimension": "api", "quantity": Decimal("1.50"),
                    "effectiveStartTime": events[0]["effectiveStartTime"].replace("Z", ".1234567")}  # fmt: skip
        return [result(events[0], "Duplicate", error_code="Conflict", accepted_message=accepted)]

    [verdict] = (await attempt(CannedAzure(ours), frozen(1, "1.5"))).verdicts
    assert (verdict.outcome, verdict.reference) == (Outcome.BILLED, "ue-first")


@pytest.mark.parametrize(
    ("change", "value"),
    [
        ("quantity", Decimal("1.500001")),
        ("planId", "silver"),
        ("dimension", "other"),
        ("resourceId", "another"),
    ],
)
async def test_any_other_duplicate_is_a_dead_letter_naming_the_accepted_event(
    change: str, value: Any
) -> None:
    """Azure holds another event for this resource, dimension and hour: dead 'Duplicate', naming it."""

    def other(events: Sequence[Mapping[str, Any]]) -> list[AzureUsageResult]:
        accepted = {**events[0], "usageEventId": "ue-other", change: value}
        return [result(events[0], "Duplicate", error_code="Conflict", accepted_message=accepted)]

    [verdict] = (await attempt(CannedAzure(other), frozen(1, "1.5"))).verdicts
    assert (verdict.outcome, verdict.reason) == (Outcome.DEAD, "Duplicate")
    assert "ue-other" in verdict.message
    [unnamed] = (await attempt(CannedAzure(each("Duplicate")), frozen(1))).verdicts
    assert (unnamed.outcome, unnamed.reason) == (Outcome.DEAD, "Duplicate")


@pytest.mark.parametrize("status", DEAD_STATUSES)
async def test_refusals_are_dead_letters_with_azures_reason_and_message(status: str) -> None:
    """Expired, ResourceNotFound, ... BadArgument: dead, with the status as reason and Azure's message."""
    [verdict] = (await attempt(CannedAzure(each(status, error_message=f"why: {status}")), frozen(1))).verdicts
    assert (verdict.outcome, verdict.reason, verdict.message) == (Outcome.DEAD, status, f"why: {status}")


async def test_error_unknown_and_missing_answers_are_sent_again() -> None:
    """Error (generic), a status nobody knows and a result that never came: retried, identical."""
    a, b, c = frozen(1, customer="r-a"), frozen(2, customer="r-b"), frozen(3, customer="r-c")

    def mixed(events: Sequence[Mapping[str, Any]]) -> list[AzureUsageResult]:
        return [result(events[0], "Error", error_message="try later"), result(events[1], "Pondering")]

    answer = await attempt(CannedAzure(mixed), a, b, c)
    by_id = {v.record.id: v for v in answer.verdicts}
    assert {i: v.outcome for i, v in by_id.items()} == {1: Outcome.RETRY, 2: Outcome.RETRY, 3: Outcome.RETRY}
    assert "try later" in by_id[1].message
    assert "Pondering" in by_id[2].message
    assert "missing" in by_id[3].message


async def test_an_answer_for_an_event_not_sent_is_unmatched() -> None:
    """An echo matching no event sent is reported (for the log and metric); the record is retried."""

    def garbled(events: Sequence[Mapping[str, Any]]) -> list[AzureUsageResult]:
        return [result({**events[0], "dimension": "api-garbled"}, "Accepted", usage_event_id="ue-x")]

    answer = await attempt(CannedAzure(garbled), frozen(1))
    assert [v.outcome for v in answer.verdicts] == [Outcome.RETRY]
    [(status, echoed)] = answer.unmatched
    assert (status, echoed["dimension"]) == ("Accepted", "api-garbled")


@pytest.mark.parametrize(
    ("code", "unreachable"),
    [("Throttled", False), ("ServiceError", False), ("Timeout", True), ("ConnectionError", True)],
)
async def test_whole_call_failures_retry_the_identical_events(code: str, unreachable: bool) -> None:
    """Throttling and 5xx retry; a timeout or a dead connection also ends the pass for Azure."""
    answer = await attempt(
        CannedAzure(RemoteError(code, "no", retryable=True)), frozen(1), frozen(2, customer="b")
    )
    assert [v.outcome for v in answer.verdicts] == [Outcome.RETRY, Outcome.RETRY]
    assert (answer.unreachable, answer.stop) == (unreachable, "")


@pytest.mark.parametrize(
    ("code", "throttled"), [("Throttled", True), ("ServiceError", False), ("Timeout", False)]
)
async def test_only_a_429_says_the_call_was_throttled(code: str, throttled: bool) -> None:
    """The target tells the shipper's pace from the whole-call code, not from the records' messages."""
    answer = await attempt(CannedAzure(RemoteError(code, "no", retryable=True)), frozen(1))
    assert answer.throttled is throttled
    accepted = await attempt(CannedAzure(each("Accepted", usage_event_id="ue-1")), frozen(1))
    assert not accepted.throttled


async def test_forbidden_stops_azure_shipping_with_a_clear_reason() -> None:
    """403 after the adapter's one token refresh: stop Azure, say which Entra app to check, keep the records."""
    answer = await attempt(CannedAzure(RemoteError("Forbidden", "HTTP 403", retryable=False)), frozen(1))
    assert answer.stop.startswith("Azure refused the token: check the Entra app registered on the offer")
    assert [v.outcome for v in answer.verdicts] == [Outcome.RETRY]
    unconfigured = await AzureTarget().attempt(Call([frozen(1)]), WINDOW + HOUR)
    assert "not configured" in unconfigured.stop


async def test_a_bad_request_splits_until_the_bad_event_is_alone() -> None:
    """400 for the whole call: halves are sent until the bad event stands alone; it is dead, the rest bill."""
    records = [frozen(i, customer=f"r-{i}") for i in range(1, 5)]
    bad = json.loads(records[2].request_json)["resourceId"]

    def judge(events: Sequence[Mapping[str, Any]]) -> Sequence[AzureUsageResult]:
        if any(e["resourceId"] == bad for e in events):
            raise RemoteError("BadRequest", "malformed event", retryable=False)
        return [result(e, "Accepted", usage_event_id=f"ue-{e['resourceId']}") for e in events]

    class Splitting(CannedAzure):
        async def batch_usage_event(self, events: Sequence[Mapping[str, Any]]) -> Sequence[AzureUsageResult]:
            self.calls.append(list(events))
            return judge(events)

    api = Splitting()
    answer = await attempt(api, *records)
    outcomes = {v.record.id: (v.outcome, v.reason) for v in answer.verdicts}
    assert outcomes == {1: (Outcome.BILLED, ""), 2: (Outcome.BILLED, ""), 3: (Outcome.DEAD, "BadRequest"),
                        4: (Outcome.BILLED, "")}  # fmt: skip
    assert [len(c) for c in api.calls] == [4, 2, 2, 1, 1]


def refusal(message: str) -> RemoteError:
    """The adapter's error for a whole-call 400: Azure's message, and a request id new on every call."""
    return RemoteError("BadRequest", f"Azure refused batchUsageEvent: {message} (HTTP 400, x-ms-requestid "
                                     f"{uuid.uuid4()})", retryable=False)  # fmt: skip


class Refusing(CannedAzure):
    """Answers 400 to any call holding a resource of ``bad`` (with that resource's message), to every call
    when ``bad`` is None, and Accepted otherwise."""

    def __init__(self, bad: Mapping[str, str] | None) -> None:
        super().__init__()
        self.bad = bad

    async def batch_usage_event(self, events: Sequence[Mapping[str, Any]]) -> Sequence[AzureUsageResult]:
        self.calls.append(list(events))
        if self.bad is None:
            raise refusal("The query parameter api-version=2018-08-31 is required.")
        for e in events:
            if e["resourceId"] in self.bad:
                raise refusal(self.bad[e["resourceId"]])
        return [result(e, "Accepted", usage_event_id=f"ue-{e['resourceId']}") for e in events]


async def test_a_bad_request_for_every_call_is_a_call_problem_not_25_bad_events() -> None:
    """Every call is refused with the same 400 (a proxy, a wrong endpoint): both halves of the first split are
    refused alike, so nothing is dead-lettered and no further split is sent. The events are sent again later,
    and Azure shipping stops for a while naming the setting to check."""
    api = Refusing(None)
    answer = await attempt(api, *[frozen(i, customer=f"r-{i}") for i in range(25)])
    assert [len(c) for c in api.calls] == [25, 12, 13]
    assert {v.outcome for v in answer.verdicts} == {Outcome.RETRY}
    assert len(answer.verdicts) == 25
    assert "--azure-metering-endpoint-url" in answer.stop
    assert "api-version" in answer.stop


async def test_two_bad_events_that_azure_names_apart_are_still_isolated() -> None:
    """One bad event in each half, each refused with its own message: the halves differ, so splitting goes
    on until each bad event stands alone; both are dead, the rest bill."""
    records = [frozen(i, customer=f"r-{i}") for i in range(1, 9)]
    api = Refusing({"r-2": "resourceId r-2 is malformed", "r-7": "resourceId r-7 is malformed"})
    answer = await attempt(api, *records)
    outcomes = {v.record.id: v.outcome for v in answer.verdicts}
    assert sorted(i for i, o in outcomes.items() if o is Outcome.DEAD) == [2, 7]
    assert sum(o is Outcome.BILLED for o in outcomes.values()) == 6
    assert answer.stop == ""


@pytest.mark.parametrize(("code", "status"), [("NotFound", 404), ("HTTP405", 405), ("HTTP301", 301)])
async def test_a_call_refused_whatever_it_holds_stops_azure_naming_the_endpoint(
    code: str, status: int
) -> None:
    """A 404 or another 4xx the adapter has no name for: not retried forever with warnings, but a stop that
    names --azure-metering-endpoint-url; the events are kept and sent again later."""
    error = RemoteError(code, f"Azure refused batchUsageEvent: no route (HTTP {status})", retryable=False)
    answer = await attempt(CannedAzure(error), frozen(1), frozen(2, customer="b"))
    assert [v.outcome for v in answer.verdicts] == [Outcome.RETRY, Outcome.RETRY]
    assert "--azure-metering-endpoint-url" in answer.stop
    assert f"HTTP {status}" in answer.stop


async def test_accepted_without_a_usage_event_id_is_sent_again_with_a_clear_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Accepted with no id to bill it under: retried (the resend's Duplicate names the accepted event), and
    said so, not logged as an unexpected status."""
    with caplog.at_level(logging.WARNING, logger="sidecar.shipping"):
        [verdict] = (await attempt(CannedAzure(each("Accepted")), frozen(1))).verdicts
    assert verdict.outcome is Outcome.RETRY
    assert "Accepted without a usageEventId" in verdict.message
    assert "unexpected" not in verdict.message
    assert any("without a usageEventId" in r.getMessage() for r in caplog.records)


async def test_a_wrong_metering_path_stops_azure_and_aws_ships_on(tmp_path: Path, clock: ManualClock) -> None:
    """The metering endpoint URL has a wrong path (the emulator answers 404): GetStatus says to check
    --azure-metering-endpoint-url, no more Azure calls go out until the pause ends, AWS bills meanwhile, and
    nothing is lost: with the right URL every event bills."""
    emulator = start_emulator(clock, auto_subscribe=True)
    settings = sidecar_settings(emulator, tmp_path / "secret", tmp_path / "wrong.db", max_backoff_seconds=60.0,
                                azure_metering_endpoint_url=emulator.azure_api_url + "/v2")  # fmt: skip
    sidecar = Sidecar(config_module.from_mapping({}, **settings), clock=clock, boto_session=fake_session())
    await sidecar.start()
    try:
        clock.advance(HOUR)  # past the fresh database's first window, which counts as sealed
        async with grpc.aio.insecure_channel(sidecar.target) as channel:
            stub = pb_grpc.MeteringSidecarStub(channel)
            events = [pb.UsageEvent(event_id="z", azure_resource_id=RESOURCE, azure_plan_id=PLAN, dimension="api",
                                    quantity_decimal="2.5"),
                      pb.UsageEvent(event_id="a", customer_aws_account_id=ACCOUNT, dimension="requests", quantity=3)]  # fmt: skip
            await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=events))
            clock.advance(HOUR)
            result = await stub.Flush(pb.FlushRequest())
            assert (result.billed_records, result.retry_records) == (1, 1)
            status = await stub.GetStatus(pb.GetStatusRequest())
            assert "--azure-metering-endpoint-url" in status.shipping_error
            assert "NotFound" in status.shipping_error
            clock.advance(30)
            assert (await stub.Flush(pb.FlushRequest())).retry_records == 0  # paused: not sent again yet
        assert [b["quantity"] for b in emulator.state.billed()] == [3]
        assert emulator.azure.billed() == []
    finally:
        await sidecar.shutdown(grace=0.5)
        emulator.stop()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A real store with the default targets (AWS and Azure)."""
    async with Store(tmp_path / "azure.db", SETTINGS, ManualClock(START)) as opened:
        yield opened


def azure_event(
    event_id: str, quantity: str, customer: str = RESOURCE, at: float = WINDOW + 60
) -> UsageEvent:
    return UsageEvent(event_id, f"fp-{event_id}", PLAN, "", AZURE_FIELD, customer, "api", micro_units(quantity), at,
                      marketplace="azure")  # fmt: skip


async def test_many_tenths_sum_exactly_and_zero_hours_are_never_sent(store: Store) -> None:
    """1000 events of 0.1 make exactly "100"; a 0 total is skipped and settles; Azure records live 24 h."""
    await store.append([azure_event(f"e{i}", "0.1") for i in range(1000)])
    await store.append([azure_event("z", "0", customer="zero-resource")])
    await store.seal(WINDOW + HOUR + 1, 0)
    rows = db_rows(store.path, "SELECT customer, marketplace, quantity, state, expires_s - timestamp_s, request_json "
                               "FROM records ORDER BY customer")  # fmt: skip
    assert [r[:5] for r in rows] == [
        (RESOURCE, "azure", 100_000_000, "pending", 24 * HOUR - 900),
        ("zero-resource", "azure", 0, "skipped", 24 * HOUR - 900),
    ]
    assert json.loads(rows[0][5])["quantity"] == "100"
    assert sum([0.1] * 1000) != 100  # what floats would have sent
    assert (await store.status()).pending_events == 1000


async def test_a_lost_answer_ends_billed_through_the_duplicate_rule(store: Store) -> None:
    """Azure accepts, the answer is lost (a timeout); the resend is answered Duplicate with our event: billed."""
    await store.append([azure_event("a", "2.5")])
    now = WINDOW + HOUR + 1
    await store.seal(now, 0)

    def duplicate_of_ours(events: Sequence[Mapping[str, Any]]) -> list[AzureUsageResult]:
        accepted = {**events[0], "usageEventId": "ue-lost", "quantity": Decimal("2.5")}
        return [result(events[0], "Duplicate", accepted_message=accepted)]

    api = CannedAzure(
        RemoteError("Timeout", "no answer", retryable=True, outcome_unknown=True), duplicate_of_ours
    )
    shipper = Shipper(store.ledger, default_targets(azure=api), Backoff(cap=1, rng=lambda: 0.0))
    first = PassResult()
    await shipper.ship_due(now, first)
    assert (first.billed, first.retry) == (0, 1)
    second = PassResult()
    await shipper.ship_due(now + 2, second)
    assert (second.billed, second.dead) == (1, 0)
    assert api.calls[0] == api.calls[1]  # the identical frozen event, twice
    assert db_rows(store.path, "SELECT state, metering_record_id FROM records") == [("billed", "ue-lost")]
    assert (await store.status()).pending_events == 0

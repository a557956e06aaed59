"""Targets: the registry, the AWS target, and the store and shipper driving more than one marketplace.

A second marketplace here is a small target written in the test (the Target port is the project's own
seam): the store and the shipper must treat it as they treat AWS, on a real SQLite file, while AWS goes
through the real boto3 adapter to the emulator.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest
from metering_sidecar.core import (
    ConfigError,
    CustomerField,
    ManualClock,
    Outcome,
    PassResult,
    Record,
    UsageEvent,
)
from metering_sidecar.emulator import EmulatorServer
from metering_sidecar.shipping import Backoff, Shipper
from metering_sidecar.shipping import plan_calls as shipping_plan_calls
from metering_sidecar.store import Store, StoreSettings
from metering_sidecar.targets import (
    AwsTarget,
    BuiltRecord,
    Call,
    CallResult,
    RecordKey,
    TagGroup,
    TargetRegistry,
    Verdict,
    build_record,
    canonical,
    default_targets,
    plan_calls,
)

from tests.conftest import ACCOUNT, HOUR, PRODUCT, START, boto_marketplace, db_rows

WINDOW = (int(START) // HOUR) * HOUR
SETTINGS = StoreSettings(
    window_seconds=HOUR, max_record_age=6 * HOUR, expiry_margin=900, fresh_start_seals_current_window=False
)
TEST_FIELD = "TestAccount"


class Tally:
    """A marketplace of the test's own: sums up to 10 units a record, 2 h old at most, 2 records a call.

    ``answers`` scripts what each call gets back (by default everything is billed).
    """

    marketplace = "tally"
    customer_fields = frozenset({TEST_FIELD})
    quantity_scale = 0
    max_record_units = 10
    max_record_age = 2.0 * HOUR
    conflict_reason = "Taken"

    def __init__(self) -> None:
        self.calls: list[list[int]] = []
        self.answers: list[str] = []  # "stop", "unreachable", or "" (billed)

    def encode(self, key: RecordKey, groups: Sequence[TagGroup]) -> BuiltRecord:
        total = sum(g.quantity for g in groups)
        first = min(g.first_event_ms for g in groups)
        stamp = max(key.window_start, first // 1000)
        payload = canonical({"account": key.customer, "hour": stamp, "units": total})
        return BuiltRecord(payload, stamp, total, first, sum(g.events for g in groups), 0, sendable=total > 0)

    def groups_of(self, payload: str, quantity: int, first_ms: int, events: int) -> list[TagGroup]:
        return [TagGroup("", quantity, first_ms, events)]

    def plan_calls(self, records: Sequence[Record]) -> Iterator[Call]:
        for start in range(0, len(records), 2):
            yield Call(records[start : start + 2])

    async def attempt(self, call: Call, now: float) -> CallResult:
        self.calls.append([r.id for r in call.records])
        answer = self.answers.pop(0) if self.answers else ""
        if answer == "stop":
            retry = [Verdict(r, Outcome.RETRY, message="refused") for r in call.records]
            return CallResult(retry, stop="Tally refuses this seller: fix the contract")
        if answer == "unreachable":
            return CallResult(
                [Verdict(r, Outcome.RETRY, message="timeout") for r in call.records], unreachable=True
            )
        return CallResult(
            [Verdict(r, Outcome.BILLED, reference=f"t-{r.id}") for r in call.records], answered=True
        )


def aws_event(event_id: str, quantity: int, at: float = WINDOW + 60) -> UsageEvent:
    return UsageEvent(event_id, f"fp-{event_id}", PRODUCT, "", CustomerField.ACCOUNT_ID, ACCOUNT, "requests",
                      quantity, at)  # fmt: skip


def tally_event(event_id: str, quantity: int, customer: str = "t-1", at: float = WINDOW + 60) -> UsageEvent:
    return UsageEvent(event_id, f"fp-{event_id}", "", "", TEST_FIELD, customer, "requests", quantity, at,
                      marketplace="tally")  # fmt: skip


@pytest.fixture
def tally() -> Tally:
    """The test's own marketplace."""
    return Tally()


@pytest.fixture
async def store(tmp_path: Path, tally: Tally) -> AsyncIterator[Store]:
    """A store that knows AWS and Tally, on a real file."""
    targets = TargetRegistry([AwsTarget(max_record_age=6 * HOUR), tally], expiry_margin=900)
    async with Store(tmp_path / "t.db", SETTINGS, ManualClock(START), targets) as opened:
        yield opened


def test_the_registry_finds_targets_by_marketplace_and_customer_field(tally: Tally) -> None:
    """Both customer fields of AWS lead to the AWS target, Tally's to Tally; unknown ones say what is known."""
    aws = AwsTarget()
    registry = TargetRegistry([aws, tally])
    assert registry.get("aws") is aws
    assert registry.for_field("CustomerAWSAccountId") is aws
    assert registry.for_field("CustomerIdentifier") is aws
    assert registry.for_field(TEST_FIELD) is tally
    assert registry.conflict_reasons == {"DuplicateRecord", "Taken"}
    with pytest.raises(LookupError, match=r"'Nope'.*CustomerAWSAccountId"):
        registry.for_field("Nope")
    with pytest.raises(LookupError, match=r"'gcp'.*known: aws, tally"):
        registry.get("gcp")
    with pytest.raises(ConfigError, match="two targets for the marketplace 'aws'"):
        TargetRegistry([aws, AwsTarget()])


def test_aws_records_expire_exactly_as_the_settings_say() -> None:
    """The default registry keeps AWS's figure: --max-record-age-seconds minus --expiry-margin-seconds."""
    settings = StoreSettings(window_seconds=HOUR, max_record_age=5 * HOUR + 17, expiry_margin=123)
    registry = default_targets(max_record_age=settings.max_record_age, expiry_margin=settings.expiry_margin)
    assert registry.expiry_after(registry.get("aws")) == settings.expiry_after
    defaults = Store("unused.db", settings, ManualClock(START)).targets
    assert defaults.expiry_after(defaults.get("aws")) == settings.expiry_after


def test_the_aws_target_encodes_as_build_record_and_reads_its_groups_back() -> None:
    """encode() is the record builder; groups_of() recovers the tag groups cluster mode merges."""
    groups = [
        TagGroup(canonical([["team", "a"]]), 5, (WINDOW + 10) * 1000, 2),
        TagGroup("", 3, (WINDOW + 5) * 1000, 1),
    ]
    key = RecordKey(PRODUCT, "", "CustomerAWSAccountId", ACCOUNT, "requests", WINDOW)
    built = AwsTarget().encode(key, groups)
    assert built == build_record(customer_field="CustomerAWSAccountId", customer=ACCOUNT, dimension="requests",
                                 license_arn="", window_start=WINDOW, groups=groups)  # fmt: skip
    assert built.sendable
    assert json.loads(built.request_json)["Quantity"] == 8
    back = AwsTarget().groups_of(built.request_json, built.quantity, built.first_event_ms, built.events)
    assert sorted((g.tags_json, g.quantity) for g in back) == [("", 3), (canonical([["team", "a"]]), 5)]
    records = [Record(i, PRODUCT, False, "{}", 0, 0.0) for i in range(30)]
    assert [len(c.records) for c in AwsTarget().plan_calls(records)] == [25, 5]
    assert [c.records for c in plan_calls(records)] == [c.records for c in shipping_plan_calls(records)]


async def test_sealing_asks_each_records_target(store: Store, tally: Tally) -> None:
    """Encoding, the units limit, the maximum age and 'never send' all come from the record's target."""
    await store.append([aws_event("a1", 7), aws_event("a2", 5)])
    # Tally holds at most 10 units a record: the second 6 rolls into the next window.
    await store.append([tally_event("t1", 6), tally_event("t2", 6, at=WINDOW + 70)])
    await store.append([tally_event("z1", 0, customer="t-zero")])  # a total of 0: Tally is never sent it
    await store.seal(WINDOW + HOUR + 1, 0)
    rows = db_rows(store.path, "SELECT marketplace, customer, quantity, state, expires_s - timestamp_s, request_json "
                               "FROM records ORDER BY marketplace, customer")  # fmt: skip
    assert [r[:5] for r in rows] == [
        ("aws", ACCOUNT, 12, "pending", 6 * HOUR - 900),
        ("tally", "t-1", 6, "pending", 2 * HOUR - 900),
        ("tally", "t-zero", 0, "skipped", 2 * HOUR - 900),
    ]
    assert json.loads(rows[0][5])["Quantity"] == 12
    assert json.loads(rows[1][5]) == {"account": "t-1", "hour": WINDOW + 60, "units": 6}
    assert db_rows(store.path, "SELECT marketplace, window_start FROM events WHERE event_id = 't2'") == [
        ("tally", WINDOW + HOUR)
    ]
    # Of five events, the skipped zero record's one is settled; the others wait for their verdicts.
    assert (await store.status()).pending_events == 4
    assert {r.marketplace for r in await store.due_records(WINDOW + HOUR + 1)} == {"aws", "tally"}


async def test_the_units_limit_is_per_record_not_per_marketplace(store: Store, tally: Tally) -> None:
    """Sealing first checks whether all of a marketplace's unsealed usage fits its limit; when it does not,
    each record is still judged on its own: 6 + 6 units for two customers pass Tally's 10 together, yet
    neither record does, so nothing rolls. One customer's 6 + 6 does roll."""
    await store.append([tally_event("c1", 6, customer="t-1"), tally_event("c2", 6, customer="t-2")])
    await store.append(
        [tally_event("d1", 6, customer="t-3"), tally_event("d2", 6, customer="t-3", at=WINDOW + 70)]
    )
    await store.seal(WINDOW + HOUR + 1, 0)
    rows = db_rows(store.path, "SELECT customer, quantity FROM records ORDER BY customer")
    assert rows == [("t-1", 6), ("t-2", 6), ("t-3", 6)]
    assert db_rows(store.path, "SELECT event_id FROM events WHERE window_start = ?", (WINDOW + HOUR,)) == [
        ("d2",)
    ]
    assert (await store.status()).rolled_forward_events == 1


async def test_the_units_limit_is_met_exactly(store: Store, tally: Tally) -> None:
    """A record of exactly Tally's 10 units stays whole; 10 + 1 rolls the 1 (the marketplace's 21 in all
    pass 10, so each key's running sum decides)."""
    await store.append([tally_event("e1", 10, customer="t-1")])
    await store.append(
        [tally_event("f1", 10, customer="t-2"), tally_event("f2", 1, customer="t-2", at=WINDOW + 70)]
    )
    await store.seal(WINDOW + HOUR + 1, 0)
    assert db_rows(store.path, "SELECT customer, quantity FROM records ORDER BY customer") == [
        ("t-1", 10),
        ("t-2", 10),
    ]
    assert db_rows(store.path, "SELECT event_id FROM events WHERE window_start = ?", (WINDOW + HOUR,)) == [
        ("f2",)
    ]


async def test_a_negative_quantity_does_not_hide_a_sum_past_the_limit(store: Store, tally: Tally) -> None:
    """The API refuses negative quantities; were one stored anyway, the marketplace's total (10 + 1 - 5)
    would fit Tally's 10 while one key's sum does not: each key's running sum still decides."""
    await store.append(
        [tally_event("g1", 10, customer="t-1"), tally_event("g2", 1, customer="t-1", at=WINDOW + 70)]
    )
    await store.append([tally_event("h1", -5, customer="t-2")])
    await store.seal(WINDOW + HOUR + 1, 0)
    assert db_rows(store.path, "SELECT event_id FROM events WHERE window_start = ?", (WINDOW + HOUR,)) == [
        ("g2",)
    ]


async def test_the_shipper_stops_only_the_marketplace_that_said_stop(
    store: Store, tally: Tally, emulator: EmulatorServer
) -> None:
    """Tally refusing calls pauses Tally (and says why); AWS bills meanwhile; Tally resumes after the pause."""
    await store.append([aws_event("a1", 7)] + [tally_event(f"t{i}", 1, customer=f"t-{i}") for i in range(4)])
    now = WINDOW + HOUR + 1
    await store.seal(now, 0)
    targets = TargetRegistry([AwsTarget(boto_marketplace(emulator.url)), tally])
    shipper = Shipper(store.ledger, targets, Backoff(cap=60, rng=lambda: 0.0))
    tally.answers = ["stop"]
    result = PassResult()
    await shipper.ship_due(now, result)
    assert (result.billed, result.retry) == (1, 2)  # AWS's record; Tally's first call, then no second call
    assert tally.calls == [[1, 2]]  # Tally's records sort first (no product code)
    assert shipper.disabled_reason == "Tally refuses this seller: fix the contract"
    assert [r["quantity"] for r in emulator.state.billed()] == [7]
    # Retries wait out the backoff, computed by the shipper (attempt 0: between 0.5 and 1 s; rng 0 → 0.5).
    assert db_rows(store.path, "SELECT next_attempt_s FROM records WHERE id = 2") == [(now + 0.5,)]
    await shipper.ship_due(now + 30, PassResult())
    assert tally.calls == [[1, 2]]  # still paused: one backoff cap
    result = PassResult()
    await shipper.ship_due(now + 61, result)
    assert result.billed == 4
    assert shipper.disabled_reason == ""


async def test_an_unreachable_marketplace_ends_the_pass_for_itself_only(
    store: Store, tally: Tally, emulator: EmulatorServer
) -> None:
    """A call that got no answer stops that marketplace's pass; the other marketplace still ships."""
    await store.append([tally_event(f"t{i}", 1, customer=f"t-{i}") for i in range(4)] + [aws_event("a1", 2)])
    now = WINDOW + HOUR + 1
    await store.seal(now, 0)
    shipper = Shipper(store.ledger, TargetRegistry([AwsTarget(boto_marketplace(emulator.url)), tally]),
                      Backoff(cap=60))  # fmt: skip
    tally.answers = ["unreachable"]
    result = PassResult()
    await shipper.ship_due(now, result)
    assert len(tally.calls) == 1
    assert (result.billed, result.retry) == (1, 2)
    assert shipper.disabled_reason == ""  # no answer is not a refusal


@pytest.mark.parametrize(("fault", "throttled"), [({"throttle_next": 1}, True), ({"error_rate": 1.0}, False)])
async def test_the_aws_target_says_when_aws_throttled_the_call(
    emulator: EmulatorServer, fault: dict[str, float], throttled: bool
) -> None:
    """ThrottlingException, through real boto3, is a throttled call (the shipper's pace slows down); a 5xx is not."""
    emulator.state.update_faults(fault)
    request = build_record(customer_field="CustomerAWSAccountId", customer=ACCOUNT, dimension="requests",
                           license_arn="", window_start=WINDOW, groups=[TagGroup("", 3, WINDOW * 1000, 1)])  # fmt: skip
    record = Record(1, PRODUCT, False, request.request_json, 0, WINDOW + 5 * HOUR)
    answer = await AwsTarget(boto_marketplace(emulator.url)).attempt(Call([record]), WINDOW + HOUR)
    assert [v.outcome for v in answer.verdicts] == [Outcome.RETRY]
    assert answer.throttled is throttled


def test_an_aws_adapter_alone_is_the_aws_target(emulator: EmulatorServer, tmp_path: Path) -> None:
    """Shipper(ledger, marketplace) as before targets: the adapter becomes the AWS target's, and can be swapped."""
    first, second = boto_marketplace(emulator.url), boto_marketplace(emulator.url)
    shipper = Shipper(Store(tmp_path / "x.db", SETTINGS, ManualClock(START)).ledger, first, Backoff(cap=1))
    aws = shipper.targets.get("aws")
    assert isinstance(aws, AwsTarget)
    assert aws.api is first
    assert shipper.marketplace is first
    shipper.marketplace = second
    assert aws.api is second

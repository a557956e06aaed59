"""Ingest's fast paths agree with the general ones.

* ``to_rows`` (the API's one-pass check of the common event shape) gives the rows, or the error, that
  ``to_event`` followed by the store's ``event_row`` gives, for any event at all.
* The store's all-new group commit and its checked path together store exactly what a plain model of
  the rules says (new, repeat, conflict; all or nothing per request), whatever the mix of repeats,
  conflicts and concurrent requests sharing a commit.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import metering_sidecar.api._rows as rows_module
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar.api._batch_rows import batch_rows, common_rows
from metering_sidecar.api._rows import event_wires, to_rows
from metering_sidecar.api._validation import Rules, fingerprint, to_event
from metering_sidecar.core import (
    DERIVED,
    MAX_QUANTITY,
    AppendResult,
    ConflictingEvent,
    CustomerField,
    InvalidUsage,
    ManualClock,
    UsageEvent,
    common_fingerprint,
)
from metering_sidecar.store import Backlog, Database, EventRow, Ingest, event_row

from tests.conftest import HOUR, START

NOW = START
NOW_MS = round(NOW * 1000)
GOOD_ARN = "arn:aws:license-manager::123456789012:license:l-0123456789abcdef"


def _text(alphabet: st.SearchStrategy[str] | str, sizes: tuple[int, ...]) -> st.SearchStrategy[str]:
    """Short text, and text at the lengths where a rule or the wire form changes."""
    return st.one_of(
        st.text(alphabet, max_size=12),
        st.sampled_from(sizes).flatmap(lambda n: st.text(alphabet, min_size=n, max_size=n)),
    )


ASCII = st.characters(min_codepoint=32, max_codepoint=126)
ANY_CHAR = st.characters(codec="utf-8")
TRICKY = ["", "bad\x00id", "a\nb", "\x7f", "é", "日本", " "]  # control, non-ASCII, blank
event_ids = st.one_of(_text(ASCII, (127, 128, 129)), st.text(ANY_CHAR, max_size=5), st.sampled_from(TRICKY))
accounts = st.one_of(
    st.just(""),
    st.text("0123456789", min_size=1, max_size=14),
    st.sampled_from(["12ab", "١٢٣", "9" * 255, "9" * 256, " 12"]),
)
dimensions = st.one_of(
    _text(ASCII, (127, 128, 255, 256)), st.text(ANY_CHAR, max_size=5), st.sampled_from([*TRICKY, "é" * 200])
)
quantities = st.one_of(
    st.integers(min_value=-2, max_value=300),
    st.sampled_from([16383, 16384, 2**31 - 1, 2**31, 2**40, -(2**40)]),
)
seconds = st.one_of(
    st.integers(min_value=int(NOW) - 7 * HOUR, max_value=int(NOW) + 400), st.sampled_from([0, 1, -5])
)
nanos = st.one_of(st.integers(min_value=0, max_value=999_999_999), st.sampled_from([-1, 0, 1_000_000_000]))
tags = st.dictionaries(
    st.sampled_from(["team", "env", "", "bad>key", "k1", "k2", "k3"]),
    st.sampled_from(["a", "", "b c"]),
    max_size=6,
)


def _common_event() -> pb.UsageEvent:
    return pb.UsageEvent(
        event_id="e-1", customer_aws_account_id="123456789012", dimension="requests", quantity=2
    )


UNKNOWN_FIELDS = [b"", b"\x78\x01", b"\x82\x01\x00"]  # nothing; field 15 = 1; field 16, empty bytes


@st.composite
def messages(draw: st.DrawFn) -> pb.UsageEvent:
    """Any event: mostly the common shape, often with something more, sometimes broken."""
    message = pb.UsageEvent(
        event_id=draw(event_ids), customer_aws_account_id=draw(accounts), dimension=draw(dimensions),
        quantity=draw(quantities),
    )  # fmt: skip
    if draw(st.booleans()):
        message.timestamp.CopyFrom(Timestamp(seconds=draw(seconds), nanos=draw(nanos)))
    extra = draw(st.sampled_from(["", "", "", "identifier", "license", "product", "tags"]))
    if extra == "identifier":
        message.customer_identifier = draw(st.sampled_from(["cust-1", "x" * 256]))
    elif extra == "license":
        message.license_arn = draw(st.sampled_from([GOOD_ARN, "arn:nope"]))
    elif extra == "product":
        message.product_code = draw(st.sampled_from(["prod-x", "bad code!"]))
    elif extra == "tags":
        message.tags.update(draw(tags))
    message.MergeFromString(draw(st.sampled_from(UNKNOWN_FIELDS)))
    return message


rules = st.builds(
    Rules,
    default_product_code=st.sampled_from(["prod-default", ""]),
    allowed_tag_keys=st.sampled_from([frozenset(), frozenset({"team"})]),
)


def general(batch: list[pb.UsageEvent], rule: Rules, located: bool) -> list[EventRow]:
    """The definition: to_event, then the store's row for the domain event."""
    rows = []
    for index, message in enumerate(batch):
        try:
            rows.append(event_row(to_event(message, rule, NOW), HOUR, NOW_MS))
        except InvalidUsage as exc:
            raise (exc.at(index) if located else exc) from None
    return rows


def resolved_rows(rows: Sequence[EventRow]) -> list[EventRow]:
    """The rows with each DERIVED fingerprint computed from the row: what the definition stores."""
    return [(r[0], _hash(r), *r[2:]) for r in rows]


def _hash(row: EventRow) -> str:
    """The row's fingerprint, DERIVED computed from the row."""
    return common_fingerprint(row[0], row[5], row[6], row[7]) if row[1] == DERIVED else row[1]


def outcome(build: Any, batch: list[pb.UsageEvent]) -> list[EventRow] | str:
    """The rows, with generated event ids blanked, or the error's text."""
    try:
        rows = list(build())
    except InvalidUsage as exc:
        return str(exc)
    return [row if message.event_id else ("", *row[1:]) for row, message in zip(rows, batch, strict=True)]


@settings(max_examples=400, deadline=None)
@given(st.lists(messages(), min_size=1, max_size=4), rules, st.booleans())
def test_fast_rows_are_the_rows_to_event_gives(
    batch: list[pb.UsageEvent], rule: Rules, located: bool
) -> None:
    """to_rows gives to_event's rows, or its error (with the same index), for any batch of events."""
    fast = outcome(lambda: resolved_rows(to_rows(batch, rule, NOW, HOUR, located=located)), batch)
    assert fast == outcome(lambda: general(batch, rule, located), batch)


@settings(max_examples=200, deadline=None)
@given(st.lists(messages(), max_size=6), st.sampled_from([0, 1, 200, 20_000]), st.integers(0, 5), rules)
def test_events_cut_from_the_batch_encoding_are_each_events_own(
    batch: list[pb.UsageEvent], padding: int, where: int, rule: Rules
) -> None:
    """event_wires cuts exactly each event's deterministic wire form out of the batch's (tags in any order,
    unknown fields, lengths of one, two and three varint bytes, anywhere in the batch), and to_rows gives
    the same rows with it."""
    if batch and padding:
        # An event whose length needs a longer varint (a rule refuses it; the cut must not care).
        batch[where % len(batch)].dimension = "d" * padding
    request = pb.RecordUsageBatchRequest(events=batch)
    wires = event_wires(request)
    assert wires == [message.SerializeToString(deterministic=True) for message in batch]
    events = list(request.events)
    assert outcome(lambda: to_rows(events, rule, NOW, HOUR, wires=wires), batch) == outcome(
        lambda: to_rows(events, rule, NOW, HOUR), batch
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(messages(), min_size=1, max_size=8), rules, st.sampled_from([0, 1, 200]), st.integers(0, 7))
def test_batch_rows_are_to_rows_rows_for_any_batch(
    batch: list[pb.UsageEvent], rule: Rules, padding: int, where: int
) -> None:
    """batch_rows (a whole batch checked at once when every event has the common shape, else to_rows) gives
    to_rows's rows, or its error with the same index, for any batch; a common batch never needs to_rows."""
    if padding:
        batch[where % len(batch)].dimension = "d" * padding  # an event of a longer length varint
    request = pb.RecordUsageBatchRequest(events=batch)
    events = list(request.events)
    expected = outcome(lambda: to_rows(events, rule, NOW, HOUR), batch)
    assert outcome(lambda: batch_rows(request, rule, NOW, HOUR), batch) == expected
    common = common_rows(request, rule, NOW, HOUR)
    if common is not None:
        assert list(common) == expected


BROKEN: dict[str, list[Any]] = {
    "event_id": ["bad\x00id", "a\nb", "\x7f", "é", "x" * 129],
    "customer_aws_account_id": ["", "12ab", "١٢٣", "9" * 256, " 12"],
    "dimension": ["", "é", "d" * 256, "日本"],
    "quantity": [-1, -(2**40), MAX_QUANTITY + 1],
}


@st.composite
def common_messages(draw: st.DrawFn) -> pb.UsageEvent:
    """An event of the common shape's four fields only, valid at every length where its encoding changes,
    or with one of them broken."""
    message = pb.UsageEvent(
        event_id=draw(st.text(ASCII, min_size=1, max_size=128)),
        customer_aws_account_id=draw(st.text("0123456789", min_size=1, max_size=255)),
        dimension=draw(st.text(ASCII, min_size=1, max_size=255)),
        quantity=draw(st.one_of(st.integers(0, 300), st.sampled_from([16383, 16384, MAX_QUANTITY]))),
    )
    if draw(st.booleans()):
        field = draw(st.sampled_from(sorted(BROKEN)))
        setattr(message, field, draw(st.sampled_from(BROKEN[field])))
    return message


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.one_of(st.builds(_common_event), common_messages()), min_size=1, max_size=6),
    st.sampled_from([None, 0, -1]),
)
def test_batch_rows_check_every_rule_of_the_common_shape(
    batch: list[pb.UsageEvent], stamped: int | None
) -> None:
    """Batches of the common shape's fields only, each rule broken somewhere (or a timestamp added): the whole
    batch check gives to_rows's rows or declines, and batch_rows gives to_rows's rows or error."""
    rule = Rules(default_product_code="prod")
    if stamped is not None:
        batch[stamped].timestamp.CopyFrom(Timestamp(seconds=int(NOW) - 60))
    request = pb.RecordUsageBatchRequest(events=batch)
    expected = outcome(lambda: to_rows(list(request.events), rule, NOW, HOUR), batch)
    assert outcome(lambda: batch_rows(request, rule, NOW, HOUR), batch) == expected
    common = common_rows(request, rule, NOW, HOUR)
    assert common is None or list(common) == expected
    assert (common is None) == (stamped is not None or not all(_common(m) for m in batch))


def _common(message: pb.UsageEvent) -> bool:
    """Whether an event of the four fields only keeps every rule of the common shape."""
    event_id, account, dimension = message.event_id, message.customer_aws_account_id, message.dimension
    return (
        0 < len(event_id) <= 128 and event_id.isascii() and event_id.isprintable()
        and 0 < len(account) <= 255 and account.isascii() and account.isdigit()
        and 0 < len(dimension) <= 255 and dimension.isascii() and 0 <= message.quantity <= MAX_QUANTITY
    )  # fmt: skip


def test_common_batches_are_checked_whole_at_every_length_where_their_encoding_changes() -> None:
    """Batches of common events (no timestamp) at every length where a field's or the event's encoding
    changes, and every quantity size, are checked whole, with to_rows's rows."""
    rule = Rules(default_product_code="prod")
    for ids, accounts, dimensions in itertools.product(
        (1, 39, 40, 127, 128), (1, 39, 40, 128, 255), (1, 40, 255)
    ):
        batch = [
            pb.UsageEvent(
                event_id=f"{n:0{ids}d}"[-ids:], customer_aws_account_id="7" * accounts, dimension="d" * dimensions,
                quantity=quantity,
            )
            for n, quantity in enumerate((1, 0, 127, 128, 16383, 16384, 2**31 - 1))
        ]  # fmt: skip
        for events in (batch, batch[:1], [batch[2], batch[0]]):
            request = pb.RecordUsageBatchRequest(events=events)
            common = common_rows(request, rule, NOW, HOUR)
            assert common is not None, (ids, accounts, dimensions, len(events))
            assert list(common) == to_rows(list(request.events), rule, NOW, HOUR)


def test_a_common_batch_with_anything_beside_its_events_is_not_checked_whole() -> None:
    """A field beside the events (a newer client's), or a timestamp on the first event or the last, makes
    the whole-batch check decline; batch_rows then gives to_rows's rows."""
    rule = Rules(default_product_code="prod")
    events = [_common_event() for _ in range(3)]
    for n, event in enumerate(events):
        event.event_id = f"e-{n}"
    beside = pb.RecordUsageBatchRequest(events=events)
    beside.MergeFromString(b"\x10\x01")  # field 2 = 1
    first, last = (pb.RecordUsageBatchRequest(events=events) for _ in range(2))
    first.events[0].timestamp.CopyFrom(Timestamp(seconds=int(NOW) - 60))
    last.events[-1].timestamp.CopyFrom(Timestamp(seconds=int(NOW) - 60))
    assert common_rows(pb.RecordUsageBatchRequest(events=events), rule, NOW, HOUR) is not None
    for request in (beside, first, last):
        assert common_rows(request, rule, NOW, HOUR) is None
        expected = to_rows(list(request.events), rule, NOW, HOUR, wires=event_wires(request))
        assert batch_rows(request, rule, NOW, HOUR) == expected


def test_a_batch_with_a_field_this_version_does_not_know_is_encoded_event_by_event() -> None:
    """A field beside the events in the batch's encoding (a newer client's) makes event_wires decline, and
    to_rows then encodes each event itself: the fingerprints are the events' own either way."""
    event = pb.UsageEvent(event_id="e", customer_aws_account_id="1234", dimension="d", quantity=3)
    event.timestamp.CopyFrom(Timestamp(seconds=int(NOW) - 60))  # hashed (without one, it is DERIVED)
    request = pb.RecordUsageBatchRequest(events=[event])
    request.MergeFromString(b"\x10\x01")  # field 2 = 1
    assert event_wires(request) is None
    rule = Rules(default_product_code="prod")
    [row] = to_rows(request.events, rule, NOW, HOUR, wires=event_wires(request))
    assert row[1] == fingerprint(event)


def test_the_common_shape_is_checked_by_the_fast_path_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """Common events at every length where their wire form changes, with and without a timestamp, never
    need to_event: the fast path's byte count proves their shape (and the rows are to_event's)."""
    rule = Rules(default_product_code="prod")
    stamps = itertools.cycle([None, (int(NOW) - 60, 0), (int(NOW) - 120, 999_999_999), (int(NOW), 1)])
    batch: list[pb.UsageEvent] = []
    for ids, accounts, dimensions in itertools.product((1, 127, 128), (1, 127, 128, 255), (1, 127, 128, 255)):
        for quantity, when in zip((0, 1, 127, 128, 16383, 16384, 2**31 - 1), stamps, strict=False):
            message = pb.UsageEvent(
                event_id=f"{len(batch):0{ids}d}"[-ids:], customer_aws_account_id="7" * accounts,
                dimension="d" * dimensions, quantity=quantity,
            )  # fmt: skip
            if when is not None:
                message.timestamp.CopyFrom(Timestamp(seconds=when[0], nanos=when[1]))
            batch.append(message)
    assert len(batch) == 3 * 4 * 4 * 7
    expected = general(batch, rule, located=True)

    def refuse(*args: Any) -> Any:
        raise AssertionError("a common event went through to_event")

    monkeypatch.setattr(rows_module, "to_event", refuse)
    rows = to_rows(batch, rule, NOW, HOUR)
    assert resolved_rows(rows) == expected
    # The four fields alone are stored DERIVED (their fingerprint follows from the row); a timestamp is hashed.
    assert [row[1] == DERIVED for row in rows] == [not message.HasField("timestamp") for message in batch]


def test_the_common_shape_with_a_timestamp_takes_the_fast_path_with_the_same_rows() -> None:
    """A common event with a timestamp is a row with the event's own window; a broken one is refused alike."""
    good = pb.UsageEvent(event_id="e", customer_aws_account_id="1234", dimension="d", quantity=3)
    good.timestamp.CopyFrom(Timestamp(seconds=int(NOW) - HOUR, nanos=500_000_000))
    rule = Rules(default_product_code="prod")
    [row] = to_rows([good], rule, NOW, HOUR)
    assert row == event_row(to_event(good, rule, NOW), HOUR, NOW_MS)
    assert (row[8], row[9]) == (NOW_MS - HOUR * 1000 + 500, (int(NOW) - HOUR) // HOUR * HOUR)
    late = pb.UsageEvent(event_id="l", customer_aws_account_id="1234", dimension="d", quantity=3)
    late.timestamp.CopyFrom(Timestamp(seconds=int(NOW) - 7 * HOUR))
    with pytest.raises(InvalidUsage, match=r"events\[1\]\.timestamp: must be younger"):
        to_rows([good, late], rule, NOW, HOUR)


def test_the_fingerprint_is_the_one_stored_before() -> None:
    """Databases hold fingerprints made as BLAKE2b-128 of the deterministic wire form: a retry after an
    upgrade must match them, so both paths still make exactly that (a known value pins it)."""
    message = pb.UsageEvent(event_id="e-1", customer_aws_account_id="1234", dimension="d", quantity=3)
    message.tags["team"] = "a"
    definition = hashlib.blake2b(message.SerializeToString(deterministic=True), digest_size=16).hexdigest()
    assert fingerprint(message) == definition == "29e7019556a390acc54658c11570deed"
    plain = pb.UsageEvent(event_id="e-2", customer_aws_account_id="1234", dimension="d", quantity=3)
    [row] = to_rows([plain], Rules(default_product_code="prod"), NOW, HOUR)
    assert row[1] == DERIVED
    assert (
        _hash(row) == hashlib.blake2b(plain.SerializeToString(deterministic=True), digest_size=16).hexdigest()
    )
    plain.timestamp.CopyFrom(Timestamp(seconds=int(NOW) - 60))
    [row] = to_rows([plain], Rules(default_product_code="prod"), NOW, HOUR)
    assert row[1] == hashlib.blake2b(plain.SerializeToString(deterministic=True), digest_size=16).hexdigest()


# --- the store: all-new group commit and checked path against a model ---------------------------


@dataclass(frozen=True)
class Append:
    """One request: events as (id, content) pairs; content stands for the fingerprint."""

    events: tuple[tuple[str, int], ...]


def usage(event_id: str, content: int, when: float) -> UsageEvent:
    """Return a domain event whose fingerprint is its content."""
    return UsageEvent(event_id, f"fp-{content}", "prod", "", CustomerField.ACCOUNT_ID, "1234", "req", 1, when)


def model(appends: list[Append]) -> tuple[list[str], dict[str, str]]:
    """What ingest must answer, request by request in order, and the (id, fingerprint) it must store."""
    stored: dict[str, str] = {}
    answers = []
    for append in appends:
        seen = dict(stored)
        new = dup = 0
        conflict = False
        for event_id, content in append.events:
            fingerprint = f"fp-{content}"
            if event_id not in seen:
                seen[event_id] = fingerprint
                new += 1
            elif seen[event_id] == fingerprint:
                dup += 1
            else:
                conflict = True
                break
        if conflict:
            answers.append("conflict")
        else:
            stored = seen
            answers.append(f"{new}+{dup}")
    return answers, stored


appends = st.lists(
    st.builds(
        Append,
        st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 1)), min_size=1, max_size=5).map(
            tuple
        ),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(appends, st.lists(st.integers(1, 4), min_size=12, max_size=12), st.booleans())
def test_group_commits_store_what_the_rules_say(
    appends: list[Append], together: list[int], late: bool
) -> None:
    """Requests appended one by one or several at once (sharing a commit) get the model's answers, and
    the file holds the model's events, each in its own window or rolled into the open one (I5, I8)."""
    window = (int(START) // HOUR) * HOUR
    when = START - HOUR if late else START  # late: in the sealed window before the watermark

    async def run(path: Path) -> tuple[list[str], dict[str, str], list[tuple[Any, ...]]]:
        database = Database(path)
        await database.open()
        try:
            backlog = Backlog(database, cap=1000)
            await backlog.load()
            ingest = Ingest(database, backlog, Watermark(window), HOUR, ManualClock(START))
            answers: list[str] = []
            position = 0
            for size in together:
                chunk = appends[position : position + size]
                position += size
                results = await asyncio.gather(
                    *(ingest.append([usage(i, c, when) for i, c in a.events]) for a in chunk),
                    return_exceptions=True,
                )
                for result in results:
                    assert isinstance(result, AppendResult | ConflictingEvent), result
                    answers.append(
                        "conflict"
                        if isinstance(result, ConflictingEvent)
                        else f"{result.accepted}+{result.duplicates}"
                    )
            stored = await database.conn.execute_fetchall(
                "SELECT event_id, fingerprint, window_start, rolled FROM events"
            )
            return answers, {str(r[0]): str(r[1]) for r in stored}, [tuple(r[2:]) for r in stored]
        finally:
            await database.close()

    with tempfile.TemporaryDirectory() as tmp:
        answers, stored, placed = asyncio.run(run(Path(tmp) / "model.db"))
    expected_answers, expected = model(appends)
    assert answers == expected_answers
    assert stored == expected
    assert set(placed) <= {(window, int(late))}


@dataclass
class Watermark:
    """A fixed watermark: all that ingest may see of sealing."""

    watermark: int

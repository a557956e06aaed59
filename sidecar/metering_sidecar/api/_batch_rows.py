"""A batch's rows when every event has the common shape, checked and built a whole batch at a time.

``to_rows`` (api/_rows.py) checks an event at a time; here each check runs once over all the batch's
values, inside C (``map``, ``min``, ``str.join`` and the string tests), and the rows are the batch's
columns as read (``SharedRows``): no tuple a row, no encoding and no hash, since every event's
fingerprint is ``DERIVED`` (core/_fingerprint.py). For 1000 events this is about half of ``to_rows``'s
time (BENCHMARKS.md, "Where the time goes"). The shape is the one ``to_rows`` proves event by event: an
ASCII event_id, customer_aws_account_id, an ASCII dimension and a quantity, nothing else set, the
default product code. Here it is proved for the whole batch by its encoded length: each event's wire
form is at least as long as those four fields take, so a batch whose encoding is exactly as long as
the sum has nothing else, in any event or beside them. Any other batch (a timestamp, another field, a broken rule anywhere) returns None and goes
through ``to_rows``, which decides it, so rows and errors are ``to_rows``'s either way
(tests/test_ingest_rows.py checks that).
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar.api._rows import ACCOUNT_ID, AWS, event_wires, to_rows
from metering_sidecar.api._validation import MAX_EVENT_ID, Rules
from metering_sidecar.core import DERIVED, MAX_QUANTITY
from metering_sidecar.store import EventRow, SharedRows, window_of

# One pass a field over a list of the events: each pass over request.events itself would build a Python
# object for every event again.
_IDS, _ACCOUNTS, _DIMENSIONS, _QUANTITIES = map(
    attrgetter, ("event_id", "customer_aws_account_id", "dimension", "quantity")
)


def batch_rows(
    request: pb.RecordUsageBatchRequest, rules: Rules, now: float, window_seconds: int
) -> Sequence[EventRow]:
    """Validate a batch (all or nothing) into its rows, received at ``now``; errors name the event's index."""
    rows = common_rows(request, rules, now, window_seconds)
    if rows is None:
        return to_rows(request.events, rules, now, window_seconds, wires=event_wires(request))
    return rows


def common_rows(
    request: pb.RecordUsageBatchRequest, rules: Rules, now: float, window_seconds: int
) -> SharedRows | None:
    """Return the rows of a batch whose every event has the common shape, else None (see above)."""
    product, events = rules.default_product_code, list(request.events)
    if not product or not events or _more_than_four_fields(events[0]):
        return None  # a batch with timestamps (say) goes to to_rows before paying for the checks below
    ids, accounts = list(map(_IDS, events)), list(map(_ACCOUNTS, events))
    dimensions, quantities = list(map(_DIMENSIONS, events)), list(map(_QUANTITIES, events))
    id_lengths, account_lengths = list(map(len, ids)), list(map(len, accounts))
    dimension_lengths = list(map(len, dimensions))
    longest_id, least, most = max(id_lengths), min(quantities), max(quantities)
    longest = max(longest_id, max(account_lengths), max(dimension_lengths))
    if (
        min(id_lengths) == 0 or longest_id > MAX_EVENT_ID or min(account_lengths) == 0
        or min(dimension_lengths) == 0 or longest > 255 or least < 0 or most > MAX_QUANTITY
    ):  # fmt: skip
        return None
    joined_ids, joined_accounts, joined_dimensions = "".join(ids), "".join(accounts), "".join(dimensions)
    if not (
        joined_ids.isascii() and joined_ids.isprintable() and joined_accounts.isascii()
        and joined_accounts.isdigit() and joined_dimensions.isascii()
    ):  # fmt: skip
        return None
    # Each event's four fields: three strings of a tag, a length (1 byte below 128, else 2) and the text,
    # and the quantity's tag and varint (none for 0). In the batch, each event is its tag (1 byte), its
    # length (1 byte below 128, else 2: an event here is under 700 bytes) and those fields.
    texts = len(joined_ids) + len(joined_accounts) + len(joined_dimensions)
    if longest < 40 and least > 0 and most < 128:  # the commonest: 8 + texts, under 128, a byte of length
        encoded = texts + 10 * len(events)
    else:
        sizes = map(_four_fields, id_lengths, account_lengths, dimension_lengths, quantities)
        encoded = sum(size + 2 + (size > 127) for size in sizes)
    if encoded != request.ByteSize():
        return None  # something beyond the four fields somewhere: to_rows decides event by event
    now_ms = round(now * 1000)
    shared = (DERIVED, product, "", ACCOUNT_ID, now_ms, window_of(now_ms, window_seconds), "", now_ms, 0, AWS)
    return SharedRows(shared, ids, accounts, dimensions, quantities)


def _more_than_four_fields(event: pb.UsageEvent) -> bool:
    """A cheap first look at one event: True when its encoding is not what its four common fields alone
    make, so the batch is not common (False proves nothing; the checks in common_rows do)."""
    fields = len(event.event_id), len(event.customer_aws_account_id), len(event.dimension), event.quantity
    return event.ByteSize() != _four_fields(*fields)


def _four_fields(ids: int, accounts: int, dimensions: int, quantity: int) -> int:
    """Return the bytes an event's four common fields take when each string is 1 to 16383 ASCII characters:
    a tag, a length (1 byte below 128, else 2) and the text each; the quantity's tag and varint (none
    for 0; counted as none when negative, which no common event has)."""
    size = 6 + ids + accounts + dimensions + (ids > 127) + (accounts > 127) + (dimensions > 127)
    return size + ((quantity.bit_length() + 13) // 7 if quantity > 0 else 0)

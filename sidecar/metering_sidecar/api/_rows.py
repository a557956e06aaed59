"""A request's events, validated into the store's rows in one pass over the wire form.

Most events have one shape: an ASCII event_id, customer_aws_account_id, an ASCII dimension, a
quantity, and at most a timestamp besides. ``to_rows`` checks that shape itself, with the rules of
``to_event``, and builds the stored row with no domain object in between. Every other event (another
customer field, license_arn, product_code, tags, a field this version does not know, a broken rule)
goes through ``to_event``, which is the definition: so errors and rows are the same either way
(tests/test_ingest_rows.py checks that), and a field added to the proto needs nothing here. A batch
whose every event has the four fields only is checked whole in ``api/_batch_rows.py``, by the same
rules: a rule changed here must be changed there too.

The shape is proved by the wire form's length: each field read costs a known number of bytes, so an
event whose encoding is exactly that many bytes has no other field set, and the fields not read need
no reading (each read of a protobuf field costs about as much as hashing the event). An event of the
four fields alone is stored with the fingerprint ``DERIVED`` (core/_fingerprint.py): no encoding and no
hash. One with a timestamp too is hashed from its wire form.
"""

from __future__ import annotations

from collections.abc import Sequence

from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar.api._validation import FUTURE_TOLERANCE_SECONDS, MAX_EVENT_ID, Rules, to_event
from metering_sidecar.core import DERIVED, MAX_QUANTITY, CustomerField, InvalidUsage, fingerprint_of_wire
from metering_sidecar.store import EventRow, event_row, window_of

AWS = "aws"  # the fast paths take only AWS account-id events; the rest go through to_event
ACCOUNT_ID = str(CustomerField.ACCOUNT_ID)
_OTHER = -1  # not the common shape: to_event decides
_EVENTS_TAG = 0x0A  # RecordUsageBatchRequest.events: field 1, length-delimited


def event_wires(request: pb.RecordUsageBatchRequest) -> list[bytes] | None:
    """Return each event's deterministic wire form, cut from the batch's own: one encoding of the whole
    request costs a tenth of encoding its events one by one, and an event is encoded the same inside its
    batch as alone. None when the batch's encoding holds anything but its events (a field this version
    does not know): the caller encodes each event then."""
    data = request.SerializeToString(deterministic=True)
    wires: list[bytes] = []
    append = wires.append
    pos, end = 0, len(data)
    while pos < end:
        if data[pos] != _EVENTS_TAG:
            return None
        size = data[pos + 1]
        if size < 0x80:  # the common lengths: one byte of varint, or two
            pos += 2
        elif data[pos + 2] < 0x80:
            size = (size & 0x7F) | data[pos + 2] << 7
            pos += 3
        else:
            size, pos = _long_varint(data, pos + 1)
        append(data[pos : pos + size])
        pos += size
    return wires if pos == end else None


def _long_varint(data: bytes, pos: int) -> tuple[int, int]:
    """Return the varint at ``pos`` and the position after it."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def to_rows(
    messages: Sequence[pb.UsageEvent],
    rules: Rules,
    now: float,
    window_seconds: int,
    *,
    located: bool = True,
    wires: Sequence[bytes] | None = None,
) -> list[EventRow]:
    """Validate ``messages`` (all or nothing) and return their rows for the store, received at ``now``.

    An error names the event's index in the batch unless ``located`` is false (a single RecordUsage).
    ``wires``: each message's deterministic wire form when the caller has it (``event_wires``); one for
    each message, or the loop below raises ValueError. Without them, an event is encoded only when its
    fingerprint needs hashing (it has a timestamp).
    """
    sized: Sequence[bytes | None] = [None] * len(messages) if wires is None else wires
    now_ms = round(now * 1000)
    now_window = window_of(now_ms, window_seconds)
    product = rules.default_product_code
    oldest, newest = now - rules.max_record_age, now + FUTURE_TOLERANCE_SECONDS
    rows: list[EventRow] = []
    append = rows.append
    for index, (message, wire) in enumerate(zip(messages, sized, strict=True)):
        event_id, account, dimension, quantity = (
            message.event_id, message.customer_aws_account_id, message.dimension, message.quantity
        )  # fmt: skip
        ids, accounts, dimensions = len(event_id), len(account), len(dimension)
        ms, extra = _OTHER, -1
        if (
            product and 0 < ids <= MAX_EVENT_ID and 0 < dimensions <= 255 and accounts <= 255
            and 0 <= quantity <= MAX_QUANTITY and event_id.isascii() and event_id.isprintable()
            and account.isascii() and account.isdigit() and dimension.isascii()
        ):  # fmt: skip
            # The four fields' bytes: each string its tag, its length (1 byte below 128, else 2) and its
            # text; the quantity its tag and varint, unless it is 0 (not sent).
            size = 6 + ids + accounts + dimensions + (ids > 127) + (accounts > 127) + (dimensions > 127)
            if quantity:
                size += 1 + (quantity.bit_length() + 6) // 7
            extra = (message.ByteSize() if wire is None else len(wire)) - size
            ms = now_ms if extra == 0 else _stamp_ms(message, extra, oldest, newest)
        if ms == _OTHER:
            try:
                append(event_row(to_event(message, rules, now), window_seconds, now_ms))
            except InvalidUsage as exc:
                raise (exc.at(index) if located else exc) from None
            continue
        if extra == 0:
            fingerprint = DERIVED  # the four fields alone: fingerprint(message) follows from the row
        else:  # fingerprint(message), from the wire form in hand if there is one
            fingerprint = fingerprint_of_wire(
                message.SerializeToString(deterministic=True) if wire is None else wire
            )
        append((
            event_id, fingerprint, product, "", ACCOUNT_ID, account, dimension, quantity, ms,
            now_window if ms == now_ms else window_of(ms, window_seconds), "", now_ms, 0, AWS,
        ))  # fmt: skip
    return rows


def _stamp_ms(message: pb.UsageEvent, extra: int, oldest: float, newest: float) -> int:
    """Return the event time in ms if a valid timestamp is all the ``extra`` bytes hold, else _OTHER."""
    if not message.HasField("timestamp"):
        return _OTHER
    stamp = message.timestamp
    seconds, nanos = stamp.seconds, stamp.nanos
    if seconds < 0 or not 0 <= nanos < 1_000_000_000:
        return _OTHER
    # Its tag, its length, then seconds and nanos (tag and varint each, when not 0).
    size = 2 + (1 + _varint(seconds) if seconds else 0) + (1 + _varint(nanos) if nanos else 0)
    when = seconds + nanos / 1e9  # as to_event computes it
    if extra != size or not oldest < when <= newest:
        return _OTHER
    return round(when * 1000)


def _varint(value: int) -> int:
    """Return the bytes of a positive integer as a protobuf varint."""
    return (value.bit_length() + 6) // 7

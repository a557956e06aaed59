"""Events in their stored form: one tuple per ``events`` row, built once and inserted as it is.

Ingest's hot path never converts an event twice. The API's batch validation builds these rows straight
from the wire form (``api/_validation.py``); ``event_row`` builds the same row from a domain
``UsageEvent`` for every other caller. tests/test_ingest_rows.py checks that both give equal rows.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Final

from metering_sidecar.core import UsageEvent
from metering_sidecar.targets import tags_json

COLUMNS = (
    "event_id, fingerprint, product, license_arn, customer_field, customer, dimension, quantity, event_ms, "
    "window_start, tags, received_ms, rolled, marketplace"
)
EventRow = tuple[str, str, str, str, str, str, str, int, int, int, str, int, int, str]
"""One events row, in ``COLUMNS`` order. ``window_start`` is the event's own window and ``rolled`` is 0:
ingest moves a row whose window is sealed by then (I5) when it commits, and only then."""

WINDOW_START: Final = 9  # the index of window_start in an EventRow
_window_start = itemgetter(WINDOW_START)


def event_ms(event_time: float) -> int:
    """Return an event time in whole milliseconds, as stored."""
    return round(event_time * 1000)


def window_of(ms: int, window_seconds: int) -> int:
    """Return the start (in seconds) of the window an event time in milliseconds falls in."""
    return ms // 1000 // window_seconds * window_seconds


def event_row(event: UsageEvent, window_seconds: int, received_ms: int) -> EventRow:
    """Return the stored row of a domain event."""
    ms = event_ms(event.event_time)
    return (
        event.event_id, event.fingerprint, event.product_code, event.license_arn, str(event.customer_field),
        event.customer, event.dimension, event.quantity, ms, window_of(ms, window_seconds),
        tags_json(event.tags), received_ms, 0, event.marketplace,
    )  # fmt: skip


def roll_forward(rows: list[EventRow], watermark: int) -> tuple[list[EventRow], int]:
    """Move rows whose window starts before ``watermark`` into the window at the watermark (I5).

    Return the rows to insert and how many moved; the common case, nothing sealed under the rows, returns
    the same list without copying it.
    """
    if not rows or min(map(_window_start, rows)) >= watermark:
        return rows, 0
    moved = 0
    out: list[EventRow] = []
    for row in rows:
        if row[WINDOW_START] < watermark:
            (event_id, fingerprint, product, license_arn, field, customer, dimension, quantity, ms, _, tags,
             received_ms, _, marketplace) = row  # fmt: skip
            row = (event_id, fingerprint, product, license_arn, field, customer, dimension, quantity, ms,
                   watermark, tags, received_ms, 1, marketplace)  # fmt: skip
            moved += 1
        out.append(row)
    return out, moved

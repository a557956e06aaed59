"""Events in their stored form: one tuple per ``events`` row, built once and inserted as it is.

Ingest's hot path never converts an event twice. The API's validation builds these rows straight from
the wire form (``api/_rows.py``; ``api/_batch_rows.py`` as ``SharedRows``); ``event_row`` builds the same
row from a domain ``UsageEvent`` for every other caller. tests/test_ingest_rows.py checks that both give
equal rows, but for the fingerprint of an event of the four common fields alone, which the fast paths
store as ``DERIVED`` (core/_fingerprint.py) and ``event_row`` as the hash it stands for.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import repeat
from operator import itemgetter
from typing import Final, overload

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


Shared = tuple[str, str, str, str, int, int, str, int, int, str]
"""SharedRows's shared columns: fingerprint, product, license_arn, customer_field, event_ms,
window_start, tags, received_ms, rolled, marketplace."""


class SharedRows(Sequence[EventRow]):
    """A request's rows that share every column but each event's own four (event_id, customer,
    dimension, quantity), held a column at a time: the form a batch of common events is checked in
    (api/_batch_rows.py), inserted as it is (store/_event_insert.py) without a tuple a row. Read as a
    sequence, it is the rows themselves, in order (compare ``list(rows)``: like any Sequence that is not a
    list, it never equals one)."""

    __slots__ = ("customers", "dimensions", "ids", "quantities", "shared")

    def __init__(
        self,
        shared: Shared,
        ids: Sequence[str],
        customers: Sequence[str],
        dimensions: Sequence[str],
        quantities: Sequence[int],
    ) -> None:
        if not len(ids) == len(customers) == len(dimensions) == len(quantities):
            raise ValueError("SharedRows needs one of each column per row")
        self.shared = shared
        self.ids, self.customers, self.dimensions, self.quantities = ids, customers, dimensions, quantities

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[EventRow]:
        fingerprint, product, license_arn, field, ms, window, tags, received_ms, rolled, market = self.shared
        count = len(self.ids)
        return zip(
            self.ids, repeat(fingerprint, count), repeat(product, count), repeat(license_arn, count),
            repeat(field, count), self.customers, self.dimensions, self.quantities, repeat(ms, count),
            repeat(window, count), repeat(tags, count), repeat(received_ms, count), repeat(rolled, count),
            repeat(market, count), strict=True,
        )  # fmt: skip

    @overload
    def __getitem__(self, index: int) -> EventRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[EventRow]: ...

    def __getitem__(self, index: int | slice) -> EventRow | list[EventRow]:
        if isinstance(index, slice):  # the columns' slices, not every row built first
            columns = self.ids[index], self.customers[index], self.dimensions[index], self.quantities[index]
            return list(SharedRows(self.shared, *columns))
        fingerprint, product, license_arn, field, ms, window, tags, received_ms, rolled, market = self.shared
        return (
            self.ids[index], fingerprint, product, license_arn, field, self.customers[index],
            self.dimensions[index], self.quantities[index], ms, window, tags, received_ms, rolled, market,
        )  # fmt: skip

    @property
    def window_start(self) -> int:
        """The rows' window."""
        return self.shared[5]

    def moved_to(self, window_start: int) -> SharedRows:
        """The same rows moved forward into the window at ``window_start`` (I5), marked rolled."""
        fingerprint, product, license_arn, field, ms, _, tags, received_ms, _, market = self.shared
        shared = (fingerprint, product, license_arn, field, ms, window_start, tags, received_ms, 1, market)
        return SharedRows(shared, self.ids, self.customers, self.dimensions, self.quantities)


def roll_forward(rows: Sequence[EventRow], watermark: int) -> tuple[Sequence[EventRow], int]:
    """Move rows whose window starts before ``watermark`` into the window at the watermark (I5).

    Return the rows to insert and how many moved; the common case, nothing sealed under the rows, returns
    the same rows without copying them.
    """
    if isinstance(rows, SharedRows):
        if not rows or rows.window_start >= watermark:
            return rows, 0
        return rows.moved_to(watermark), len(rows)
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

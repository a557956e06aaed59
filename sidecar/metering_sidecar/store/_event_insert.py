"""Ingest's INSERTs of event rows, run on the database thread inside the group commit's transaction.

Rows go in as multi-row INSERTs of 64, 16, 4 and 1 rows: one statement of many rows costs SQLite and the
sqlite3 module about a quarter less than as many one-row statements (executemany), and holds Python's
GIL for one call per statement, not one per row. Most of a row is what the events of one request usually
share (product, license, customer field, times, window, tags, marketplace): 9 of its 14 columns. Each
run's rows are compared, so nothing depends on their being shared. A run of rows that shares them goes
in "narrow", those 9 bound once and 5 a row, which binds under half the parameters for the same rows
(BENCHMARKS.md, "Where the time goes"); any other run goes in "wide", every column of every row bound.
The stored rows are the same either way, in the same order (tests/test_store_parts.py checks both).

A batch of common events arrives as ``SharedRows``, whose 10 shared columns (the fingerprint too, which
is ``DERIVED`` for them) are held once: it goes in by statements of up to 200 rows straight from its
columns, 4 parameters a row, with no tuple built a row on the way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from itertools import chain
from operator import itemgetter

from metering_sidecar.store._rows import COLUMNS, EventRow, SharedRows

# A statement of 64 rows binds 64 x 14 parameters wide, under CHUNK (tests/test_store_parts.py checks it).
ROWS_PER_STATEMENT = (64, 16, 4, 1)
NARROW_FROM = 16  # runs this long or longer may go in narrow
NEW_ONLY = " ON CONFLICT (event_id) DO NOTHING"
SHARED = itemgetter(2, 3, 4, 8, 9, 10, 11, 12, 13)  # product ... marketplace: see the narrow SELECT below
OWN = itemgetter(0, 1, 5, 6, 7)  # event_id, fingerprint, customer, dimension, quantity

_WIDE_ROW = "(" + ", ".join("?" * (COLUMNS.count(",") + 1)) + ")"
# ?1 to ?9 are SHARED's columns; SQLite numbers the VALUES' bare ?s from 10 on (after the largest so far).
_NARROW_SELECT = "v.column1, v.column2, ?1, ?2, ?3, v.column3, v.column4, v.column5, ?4, ?5, ?6, ?7, ?8, ?9"
_WIDE = {
    (size, conflict): f"INSERT INTO events ({COLUMNS}) VALUES {', '.join([_WIDE_ROW] * size)}{conflict}"
    for size in ROWS_PER_STATEMENT
    for conflict in ("", NEW_ONLY)
}
_NARROW = {
    # WHERE true: an upsert on INSERT ... SELECT needs it, or SQLite reads ON CONFLICT as a join's ON.
    (size, conflict): f"INSERT INTO events ({COLUMNS}) SELECT {_NARROW_SELECT} "
    f"FROM (VALUES {', '.join(['(?, ?, ?, ?, ?)'] * size)}) AS v WHERE true{conflict}"
    for size in ROWS_PER_STATEMENT
    if size >= NARROW_FROM
    for conflict in ("", NEW_ONLY)
}
# SharedRows: ?1 to ?10 are its shared columns, in COLUMNS order around the VALUES' four a row.
SHARED_ROWS_PER_STATEMENT = (200, 50, 10, 1)  # 200 x 4 + 10 parameters, under CHUNK
_SHARED_SELECT = "v.column1, ?1, ?2, ?3, ?4, v.column2, v.column3, v.column4, ?5, ?6, ?7, ?8, ?9, ?10"
_FROM_SHARED = {
    (size, conflict): f"INSERT INTO events ({COLUMNS}) SELECT {_SHARED_SELECT} "
    f"FROM (VALUES {', '.join(['(?, ?, ?, ?)'] * size)}) AS v WHERE true{conflict}"
    for size in SHARED_ROWS_PER_STATEMENT
    for conflict in ("", NEW_ONLY)
}


def insert_parts(db: sqlite3.Connection, parts: Sequence[Sequence[EventRow]], conflict: str) -> None:
    """INSERT every part's rows, in order: SharedRows from their columns, other rows together."""
    loose: list[EventRow] = []
    for part in parts:
        if isinstance(part, SharedRows):
            if loose:
                insert_rows(db, loose, conflict)
                loose = []
            _insert_shared(db, part, conflict)
        else:
            loose.extend(part)
    if loose:
        insert_rows(db, loose, conflict)


def _insert_shared(db: sqlite3.Connection, rows: SharedRows, conflict: str) -> None:
    columns = rows.ids, rows.customers, rows.dimensions, rows.quantities
    start, count = 0, len(rows)
    for size in SHARED_ROWS_PER_STATEMENT:
        end = start + (count - start) // size * size
        for first in range(start, end, size):
            own = zip(*(column[first : first + size] for column in columns), strict=True)
            db.execute(_FROM_SHARED[size, conflict], (*rows.shared, *chain.from_iterable(own)))
        start = end


def insert_rows(db: sqlite3.Connection, rows: list[EventRow], conflict: str) -> None:
    """INSERT ``rows`` in their order; ``conflict`` is "" or NEW_ONLY (skip ids already stored)."""
    start = 0
    for size in ROWS_PER_STATEMENT:
        end = start + (len(rows) - start) // size * size
        if size < NARROW_FROM:
            if end > start:
                params = (
                    rows[start:end]
                    if size == 1
                    else [_flat(rows[i : i + size]) for i in range(start, end, size)]
                )
                db.executemany(_WIDE[size, conflict], params)
        else:
            for first in range(start, end, size):
                run = rows[first : first + size]
                shared = set(map(SHARED, run))
                if len(shared) == 1:
                    db.execute(_NARROW[size, conflict], (*shared.pop(), *chain.from_iterable(map(OWN, run))))
                else:
                    db.execute(_WIDE[size, conflict], _flat(run))
        start = end


def _flat(rows: list[EventRow]) -> tuple[str | int, ...]:
    return tuple(chain.from_iterable(rows))

"""Azure quantities: exact decimals, kept by the store as integer micro-units (6 decimal places).

Azure accepts fractional quantities and does not document a precision. The sidecar keeps six decimal
places exactly: a quantity is parsed as a ``Decimal`` (never a float), stored as ``quantity * 10**6``
in an INTEGER column, summed as integers, and written back as the shortest exact decimal text.
"""

from __future__ import annotations

import decimal
import re
from decimal import Decimal
from typing import Any

from metering_sidecar.core import InvalidUsage

QUANTITY_SCALE = 6
_MICRO = 10**QUANTITY_SCALE
# A record sums at most this many micro-units (10**9 units, 15 significant digits with the 6 decimals):
# far above any hour's real usage, far below SQLite's and PostgreSQL's 64-bit integers (summing never
# overflows), and within what a JSON number survives as a double, which is how Azure and its samples read
# and echo a quantity (so an echoed Duplicate still compares equal). Usage past it rolls forward.
MAX_RECORD_UNITS = 10**15
_DECIMAL_TEXT = re.compile(r"[0-9]+(\.[0-9]+)?")
# Exact arithmetic on every quantity the store can hold (19 digits), with room to spare.
_EXACT = decimal.Context(prec=40, traps=[decimal.Inexact, decimal.InvalidOperation])


def micro_units(text: str, field: str = "quantity_decimal") -> int:
    """Return ``text`` (a decimal number such as "0.1" or "12") as integer micro-units.

    The grammar is strict: ASCII digits with at most one dot between digits (``[0-9]+(\\.[0-9]+)?``). What
    ``Decimal`` would also take (blanks, underscores, other scripts' digits, signs, exponents, NaN) is refused,
    so one quantity has one spelling. Raises InvalidUsage, naming ``field``, for anything else, for more than
    six decimal places, or for more than a record may hold.
    """
    shown = repr(text[:50])
    if not _DECIMAL_TEXT.fullmatch(text):
        raise InvalidUsage(field, "must be a finite decimal number of at least 0 written as ASCII digits with at "
                                  f"most one dot, such as 0.5 or 12 (no sign, exponent, blank or '_'), got {shown}")  # fmt: skip
    try:
        scaled = Decimal(text).scaleb(QUANTITY_SCALE, _EXACT)
    except decimal.Inexact:
        raise InvalidUsage(field, f"has more digits than the sidecar keeps ({QUANTITY_SCALE} decimal places, "
                                  f"at most {MAX_RECORD_UNITS // _MICRO}): {shown}") from None  # fmt: skip
    if scaled != scaled.to_integral_value():
        raise InvalidUsage(
            field, f"has more than {QUANTITY_SCALE} decimal places, the precision the sidecar keeps: {shown}"
        )
    units = int(scaled)
    if units > MAX_RECORD_UNITS:
        raise InvalidUsage(field, f"must be at most {MAX_RECORD_UNITS // _MICRO}, got {shown}")
    return units


def quantity_text(units: int) -> str:
    """Return micro-units as the shortest exact decimal text: 100000 -> "0.1", 12000000 -> "12"."""
    value = Decimal(units).scaleb(-QUANTITY_SCALE, _EXACT).normalize(_EXACT)
    return format(value, "f")


def exact(value: Any) -> Decimal | None:
    """Return a quantity Azure echoed (a Decimal, int, float or text) as a Decimal, or None if it is none."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        # A float becomes its shortest text first: Azure's JSON number, as far as a float can keep it.
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except decimal.InvalidOperation:
        return None
    return number if number.is_finite() else None

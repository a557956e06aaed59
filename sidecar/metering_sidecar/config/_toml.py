"""The config file's values: each must be its setting's own TOML type, and becomes the text a flag would give.

`window-seconds = "3600"` is refused rather than parsed, as `emulator = 1` or `window-seconds = 3600.5` are:
the file promises TOML's types, so a quoted number is a mistake worth naming (a template that quoted
everything, a key meant to be another). Errors describe the value in TOML's words, never a Python repr.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from metering_sidecar.config._parsers import parse_ship_from, parse_time

_EXPECTED = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "tuple[str, ...]": "an array of strings",
}
_TIME_EXPECTED = (
    "a TOML date-time such as 2026-12-01T00:00:00Z, a date such as 2026-12-01 (midnight UTC), "
    'epoch seconds, or a string such as "2026-12-01T00:00:00Z"'
)


def flag_text(f: dataclasses.Field[Any], value: object) -> str:
    """Return the flag text ``value`` stands for; raise ValueError when it is not the setting's TOML type."""
    if f.metadata["parse"] in (parse_time, parse_ship_from):
        text, expected = _time_text(value), _TIME_EXPECTED
    else:
        kind = str(f.type)
        text, expected = _typed_text(kind, value), _EXPECTED[kind]
    if text is None:
        raise ValueError(f"expected {expected}, got {describe(value)}")
    return text


def _typed_text(kind: str, value: object) -> str | None:
    if kind == "str":
        return value if isinstance(value, str) else None
    if isinstance(value, bool):
        return ("true" if value else "false") if kind == "bool" else None
    if isinstance(value, int):
        return str(value) if kind in ("int", "float") else None
    if isinstance(value, float):
        return repr(value) if kind == "float" else None
    if isinstance(value, list) and kind == "tuple[str, ...]":
        items: list[object] = value
        if all(isinstance(v, str) and "," not in v for v in items):
            return ",".join(str(v) for v in items)
    return None


def _time_text(value: object) -> str | None:
    # A date-time without an offset, and a date (its midnight), are UTC, as the flag's text is.
    if isinstance(value, str):
        return value
    if isinstance(value, dt.date):  # dt.datetime too
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    return None


def describe(value: object) -> str:
    """Name a TOML value by its TOML type and its TOML text, e.g. 'the string "3600"' or 'a TOML date 2026-12-01'."""
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, str):
        return f"the string {json.dumps(value, ensure_ascii=False)}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the float {value!r}"
    if isinstance(value, dt.datetime):
        return f"a TOML date-time {value.isoformat()}"
    if isinstance(value, dt.date):
        return f"a TOML date {value.isoformat()}"
    if isinstance(value, dt.time):
        return f"a TOML time {value.isoformat()}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__

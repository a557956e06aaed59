"""Parsers of setting values: each turns the text of a flag, env var or file key into a value or raises
ValueError saying what was expected."""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import re
import time
from collections.abc import Callable
from dataclasses import field
from typing import Any
from urllib.parse import urlsplit

_TAG_KEY = re.compile(r"^[a-zA-Z0-9+ -=._:\/@]{1,100}$")


def _int(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ValueError(f"must be {bound}, got {value}")
        return value

    return parse


def _float(low: float, high: float | None = None) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
        if not value >= low:  # also refuses NaN
            raise ValueError(f"must be at least {low}, got {text}")
        if high is not None and not value <= high:
            raise ValueError(f"must be at most {high}, got {text}")
        return value

    return parse


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):  # also refuses NaN
        raise ValueError(f"must be a number above 0, got {text}")
    return value


def _str(text: str) -> str:
    return text.strip()


def _url(*schemes: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().rstrip("/")
        if value and not value.startswith(tuple(f"{scheme}://" for scheme in schemes)):
            raise ValueError(f"expected a {' or '.join(schemes)} URL such as https://host/path, got {text!r}")
        return value

    return parse


def is_loopback_http(url: str) -> bool:
    """Return whether ``url`` is plain http to this machine (127.0.0.0/8, ::1 or localhost): the emulator."""
    if not url.startswith("http://"):
        return False
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def parse_time(text: str) -> float:
    """Parse an ISO 8601 time (UTC unless it says otherwise) or epoch seconds."""
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        try:
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"expected an ISO 8601 time such as 2026-11-27T10:00:00Z or epoch seconds, got {text!r}"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        value = when.timestamp()
    if not math.isfinite(value):
        raise ValueError(f"expected a time, got {text!r}")
    return value


# A --ship-from further ahead than this is a mistake (epoch milliseconds given as seconds, a typo in the
# year): it would mark every hour until then "never ship", so usage would be kept and never billed.
_FURTHEST_AHEAD_SECONDS = 366 * 86400


def parse_ship_from(text: str) -> float:
    """Parse --ship-from as ``parse_time`` does, refusing a time more than a year from now."""
    value = parse_time(text)
    if value > time.time() + _FURTHEST_AHEAD_SECONDS:
        raise ValueError(
            f"{text.strip()!r} is more than a year from now, so nothing would be billed until then; epoch "
            "times are in seconds, not milliseconds (or give an ISO 8601 time such as 2026-11-27T10:00:00Z)"
        )
    return value


def _choice(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {text!r}")
        return value

    return parse


def _tag_keys(text: str) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    if len(keys) > 5:
        raise ValueError(f"AWS allows at most 5 allocation tag keys per record, got {len(keys)}")
    for key in keys:
        if not _TAG_KEY.match(key):
            raise ValueError(f"tag key {key!r} must be 1-100 characters matching AWS's tag pattern")
    return keys


def _setting(default: Any, parse: Callable[[str], Any], help: str, *, section: str, **extra: Any) -> Any:
    return field(default=default, metadata={"parse": parse, "help": help, "section": section, **extra})

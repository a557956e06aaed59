"""Time, injected: production reads the system clock, tests move a manual one."""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol


def utc_text(seconds: float) -> str:
    """Return ``seconds`` since the epoch as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, to the second)."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Clock(Protocol):
    """A source of the current time in seconds since the epoch (UTC)."""

    def now(self) -> float:
        """Return the current time."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> float:
        """Return the wall-clock time."""
        return time.time()


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float) -> None:
        self._now = start

    def now(self) -> float:
        """Return the current manual time."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock by ``seconds`` (negative moves it back)."""
        self._now += seconds

    def set(self, when: float) -> None:
        """Jump to ``when``."""
        self._now = when

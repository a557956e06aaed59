"""The hang fault, shared by the emulated marketplaces: calls accepted on TCP, never read, never answered.

A held call is released (and its connection closed unanswered) when the fault is cleared, when the
server stops, or when its caller hangs up. The gate counts held calls into the owner's stats.
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Callable
from typing import Protocol


class HangStats(Protocol):
    """The two counters a gate writes."""

    hung: int  # calls held by the fault
    hung_open_peak: int  # most held calls whose callers were still waiting at one time


class HangGate:
    """Holds calls while ``hung()`` is true; shares its owner's lock, so faults change under one lock."""

    def __init__(self, lock: threading.Lock) -> None:
        self._released = threading.Condition(lock)
        self._held: set[socket.socket] = set()

    def hold(
        self,
        connection: socket.socket,
        hung: Callable[[], bool],
        stopping: Callable[[], bool],
        stats: HangStats,
    ) -> bool:
        """Block while ``hung()``; return True if the call was held (its caller closes it unanswered).

        Call without the lock held. A held call whose caller gave up (closed its end) stops counting as
        open, so ``stats.hung_open_peak`` is the most calls a caller kept waiting at once.
        """
        with self._released:
            if not hung():
                return False
            stats.hung += 1
            self._held = {c for c in self._held if not peer_closed(c)}
            self._held.add(connection)
            stats.hung_open_peak = max(stats.hung_open_peak, len(self._held))
            try:
                while hung() and not stopping() and not peer_closed(connection):
                    # A timeout as well as the notification: the caller may hang up at any time.
                    self._released.wait(0.1)
            finally:
                self._held.discard(connection)
            return True

    def wake(self) -> None:
        """Make held calls re-check the fault; call with the owner's lock held."""
        self._released.notify_all()


def peer_closed(connection: socket.socket) -> bool:
    """Return whether the caller closed its end, without reading anything of its request.

    POLLRDHUP sees the caller's FIN even behind the unread request body, where a peek would only see
    the body; without it (not Linux) a peek is the best guess.
    """
    hang_up = getattr(select, "POLLRDHUP", 0)
    if hang_up:
        poller = select.poll()
        poller.register(connection, hang_up | select.POLLHUP | select.POLLERR)
        return any(events & (hang_up | select.POLLHUP | select.POLLERR) for _, events in poller.poll(0))
    try:
        return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True

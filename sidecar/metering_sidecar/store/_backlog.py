"""The backlog: how many acknowledged events are not settled yet, and the buffer cap on it.

This object is the only writer of the count (tests/test_store_parts.py checks that no other store
module assigns it). Ingest asks it for room and adds what it committed; sealing (skipped windows),
the ledger (billed, dead, expired) and the operator (a retried dead letter) report what they settled
or reopened, always after their transaction committed, so the count never runs ahead of the disk.
"""

from __future__ import annotations

from metering_sidecar.core import StorageFull
from metering_sidecar.store._database import Database


class Backlog:
    """The in-memory count of acknowledged, unsettled events, and the cap that refuses more."""

    def __init__(self, database: Database, cap: int) -> None:
        self._database = database
        self.cap = cap
        self._count = 0

    @property
    def count(self) -> int:
        """Return the acknowledged events not yet billed, dead-lettered or skipped."""
        return self._count

    async def load(self) -> None:
        """Set the count from the database (on open)."""
        self._count = await self.stored()

    async def stored(self) -> int:
        """Count the unsettled events on disk: unsealed events and those in pending or handed records."""
        unsealed = await self._database.scalar("SELECT COUNT(*) FROM events WHERE record_id IS NULL")
        in_records = await self._database.scalar(
            "SELECT COALESCE(SUM(event_count), 0) FROM records WHERE state IN ('pending', 'handed')"
        )
        return int(unsealed) + int(in_records)

    def room(self) -> int:
        """Return how many more events the cap admits."""
        return self.cap - self._count

    def admits(self, events: int) -> bool:
        """Return whether ``events`` more fit under the cap."""
        return events <= self.room()

    def refusal(self) -> StorageFull:
        """Return the error a request the cap cannot admit gets."""
        return StorageFull(f"buffer full: {self._count} events await shipping (cap {self.cap}); retry later")

    def add(self, events: int) -> None:
        """Count newly committed events."""
        self._count += events

    def settle(self, events: int) -> None:
        """Uncount events whose records were billed, dead-lettered or skipped (committed)."""
        self._count -= events

    def reopen(self, events: int) -> None:
        """Count again the events of a dead letter an operator made pending again (committed)."""
        self._count += events

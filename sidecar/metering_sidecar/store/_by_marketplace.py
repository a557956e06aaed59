"""What the metrics show per marketplace, so one marketplace's outage is not hidden by another that ships: when
each last billed a record, its records not billed yet, and its open dead letters by reason.

Read once per flusher pass. The newest billed time is remembered, and each pass reads only the billed records
since (through the ``records_by_state`` index): a pass costs what was billed meanwhile, not the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from metering_sidecar.store._database import Database

# At start, billed records older than this are not read (the longest maximum record age, Azure's 24 hours):
# a marketplace that billed nothing since shows 0, "not lately", which is what an alert needs to know.
LOOKBACK_MS = 24 * 3600 * 1000
# Each pass reads back this far before the newest billed time seen: a record billed in a transaction that
# committed late, or under a clock that stepped back a little, is still seen.
OVERLAP_MS = 60_000


@dataclass(frozen=True, slots=True)
class MarketplaceCounts:
    """Per marketplace: the last billed record's time (epoch seconds), records pending or handed over, and
    open (not discarded) dead letters by reason."""

    last_billed: Mapping[str, float]
    unbilled_records: Mapping[str, int]
    open_dead_letters: Mapping[tuple[str, str], int]


class ByMarketplace:
    """Reads the per-marketplace counts; remembers the newest billed times between passes."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._last_billed_ms: dict[str, int] = {}
        self._since_ms: int | None = None

    async def read(self, now: float) -> MarketplaceCounts:
        """Return the counts as of now."""
        conn = self._database.conn
        since = int(now * 1000) - LOOKBACK_MS if self._since_ms is None else self._since_ms
        for marketplace, newest in await conn.execute_fetchall(
            "SELECT marketplace, MAX(finished_ms) FROM records WHERE state = 'billed' AND finished_ms >= ? "
            "GROUP BY marketplace",
            (since,),
        ):
            known = self._last_billed_ms.get(str(marketplace), 0)
            self._last_billed_ms[str(marketplace)] = max(known, int(newest))
        newest = max(self._last_billed_ms.values(), default=None)
        self._since_ms = since if newest is None else max(since, newest - OVERLAP_MS)
        unbilled = await conn.execute_fetchall(
            "SELECT marketplace, COUNT(*) FROM records WHERE state IN ('pending', 'handed') GROUP BY marketplace"
        )
        dead = await conn.execute_fetchall(
            "SELECT marketplace, reason, COUNT(*) FROM records WHERE state = 'dead' AND discarded_ms IS NULL "
            "GROUP BY marketplace, reason"
        )
        return MarketplaceCounts(
            last_billed={m: ms / 1000 for m, ms in self._last_billed_ms.items()},
            unbilled_records={str(m): int(n) for m, n in unbilled},
            open_dead_letters={(str(m), str(r or "")): int(n) for m, r, n in dead},
        )

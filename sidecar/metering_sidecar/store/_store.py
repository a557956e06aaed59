"""The durable buffer: SQLite in WAL mode with synchronous=FULL, one writer and group commit.

Every write (ingest, sealing, results) runs under one asyncio lock on one connection, so the
watermark and the roll-forward rule are decided in the same serial order as the commits. The parts
live in their own modules: _ingest (group commit), _windows (sealing), _results (shipping state),
_operator, _customers and _handover; this one owns the lifecycle, health and reading.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import sqlite3
import time
from pathlib import Path
from types import TracebackType

import aiosqlite

from metering_sidecar.core import Clock, ConfigError, RecordState, SidecarError, Status, StorageError
from metering_sidecar.store._core import Pending, StoreSettings, log
from metering_sidecar.store._customers import CustomerQueries
from metering_sidecar.store._handover import HandoverQueries
from metering_sidecar.store._ingest import IngestMixin
from metering_sidecar.store._lock import DatabaseLock
from metering_sidecar.store._operator import OperatorQueries
from metering_sidecar.store._results import ResultsMixin
from metering_sidecar.store._schema import MIGRATIONS, SCHEMA_VERSION
from metering_sidecar.store._windows import SealingMixin

ROOM_RESERVE_BYTES = 1 << 20  # a recovered store must have this much room (or a tenth of --max-db-bytes)


class Store(IngestMixin, SealingMixin, ResultsMixin, OperatorQueries, CustomerQueries, HandoverQueries):
    """SQLite-backed event buffer and record ledger; use ``async with`` or open()/close()."""

    def __init__(self, path: str | Path, settings: StoreSettings, clock: Clock) -> None:
        self.path = str(path)
        self.settings = settings
        self.clock = clock
        self._db: aiosqlite.Connection | None = None
        self._file_lock = DatabaseLock(self.path)
        self._lock = asyncio.Lock()
        self._queue: list[Pending] = []
        self._writer: asyncio.Task[None] | None = None
        self._watermark = 0
        self._pending_events = 0
        self.healthy = True
        self.last_error = ""
        self.created = False
        self.ingest_commits = 0

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Lock, open, check, migrate and load the database; refuse a damaged file without touching it."""
        self._file_lock.acquire()
        existed = await asyncio.to_thread(_has_content, self.path)
        try:
            self._db = await aiosqlite.connect(self.path, isolation_level=None)
            if existed:
                await self._check_integrity()
            await self.db.execute("PRAGMA journal_mode=WAL")
            await self.db.execute("PRAGMA synchronous=FULL")
            await self.db.execute("PRAGMA foreign_keys=ON")
            await self.db.execute("PRAGMA busy_timeout=5000")
            if self.settings.max_db_bytes:
                page = await self._scalar("PRAGMA page_size")
                await self.db.execute(f"PRAGMA max_page_count={max(1, self.settings.max_db_bytes // page)}")
            await self._migrate()
            await self._load()
        except sqlite3.DatabaseError as exc:
            await self._close_quietly()
            raise StorageError(_damaged(self.path, str(exc))) from exc
        except BaseException:
            await self._close_quietly()
            raise

    async def _close_quietly(self) -> None:
        if self._db is not None:
            try:
                await self._db.close()
            except (sqlite3.Error, ValueError):
                pass
            self._db = None
        self._file_lock.release()

    async def _check_integrity(self) -> None:
        rows = await self.db.execute_fetchall("PRAGMA quick_check")
        problems = [line for r in rows if r[0] != "ok" for line in str(r[0]).splitlines()]
        if problems:
            more = f" (and {len(problems) - 3} more problems)" if len(problems) > 3 else ""
            raise sqlite3.DatabaseError("; ".join(problems[:3]) + more)

    async def _migrate(self) -> None:
        version = int(await self._scalar("PRAGMA user_version"))
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"{self.path} has schema version {version}, newer than this sidecar's {SCHEMA_VERSION}; "
                "run a newer metering-sidecar on it"
            )
        if version == 0:
            self.created = True
        for target in range(version + 1, SCHEMA_VERSION + 1):
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                await self._run_script(MIGRATIONS[target - 1])
                await self.db.execute(f"PRAGMA user_version={target}")
                await self.db.execute("COMMIT")
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            log.info("database migrated", extra={"fields": {"schema_version": target}})

    async def _run_script(self, script: str) -> None:
        # executescript would COMMIT first; run statement by statement inside our transaction.
        for statement in (s.strip() for s in script.split(";")):
            if statement:
                await self.db.execute(statement)

    async def _load(self) -> None:
        window = self.settings.window_seconds
        stored_window = await self._meta("window_seconds")
        if stored_window is None:
            # A new database treats the current window as sealed: a replacement pod must never send a
            # second record for an hour its predecessor may already have shipped (docs/architecture.md,
            # Time). In cluster mode the ledger rolls a late contribution forward instead.
            now = self.clock.now()
            watermark = math.floor(now / window) * window
            if self.settings.fresh_start_seals_current_window:
                watermark += window
            await self._set_meta_txn({"window_seconds": str(window), "watermark": str(watermark)})
        elif int(stored_window) != window:
            raise ConfigError(
                f"--window-seconds: {self.path} was written with --window-seconds {stored_window}, not {window}, "
                "and windows cannot change under a database that holds records. Start again with "
                f"--window-seconds {stored_window}; to change it, let that run ship everything (GetStatus "
                "pending_events 0), then use the new value with a new --db"
            )
        self._watermark = int(await self._meta("watermark") or 0)
        self._pending_events = await self._count_pending_events()

    async def last_mode(self) -> str:
        """Return the mode the database was last served in: 'single', 'cluster' or '' (new database)."""
        mode = await self._meta("mode")
        if mode is not None:
            return mode
        # Databases from before the mode was recorded: handed-over records mean cluster mode.
        handed = await self._scalar("SELECT COUNT(*) FROM records WHERE state = 'handed'")
        return "cluster" if handed else ("" if self.created else "single")

    async def unsettled_records(self, *, attempted_only: bool = False) -> int:
        """Return how many sealed records are neither billed nor dead (``attempted_only``: sent at least once)."""
        where = "state IN ('pending', 'handed')" + (" AND attempts > 0" if attempted_only else "")
        return int(await self._scalar(f"SELECT COUNT(*) FROM records WHERE {where}"))

    async def set_mode(self, mode: str) -> None:
        """Record the mode this process serves the database in."""
        async with self._lock:
            await self._set_meta_txn({"mode": mode})

    async def close(self) -> None:
        """Finish queued appends and close the database; safe to call twice."""
        if self._writer is not None:
            await asyncio.shield(self._writer)
        await self._close_quietly()

    async def set_max_db_bytes(self, size: int) -> None:
        """Change the disk budget (--max-db-bytes) at run time."""
        page = int(await self._scalar("PRAGMA page_size"))
        await self.db.execute(f"PRAGMA max_page_count={max(1, size // page)}")

    async def has_room(self) -> bool:
        """Return whether the database can grow by a safety reserve (disk and --max-db-bytes)."""
        reserve = ROOM_RESERVE_BYTES
        if self.settings.max_db_bytes:
            reserve = min(reserve, self.settings.max_db_bytes // 10)
            page = int(await self._scalar("PRAGMA page_size"))
            used = int(await self._scalar("PRAGMA page_count")) - int(
                await self._scalar("PRAGMA freelist_count")
            )
            if (int(await self._scalar("PRAGMA max_page_count")) - used) * page < reserve:
                return False
        return await asyncio.to_thread(_disk_has_room, self.path, reserve)

    async def probe(self) -> bool:
        """After a failure: when there is room again, try a tiny write so the store can recover."""
        try:
            if not await self.has_room():
                return False
            async with self._lock, self._transaction():
                await self._set_meta({"probe_ms": str(int(time.time() * 1000))})
            self._mark_healthy()
        except (SidecarError, sqlite3.Error):
            pass
        return self.healthy

    async def status(self) -> Status:
        """Return the counters GetStatus reports."""
        counts = {
            str(r[0]): int(r[1])
            for r in await self.db.execute_fetchall("SELECT state, COUNT(*) FROM records GROUP BY state")
        }
        oldest = await self._scalar(
            "SELECT MIN(t) FROM (SELECT MIN(event_ms) AS t FROM events WHERE record_id IS NULL "
            "UNION ALL SELECT MIN(first_event_ms) FROM records WHERE state IN ('pending', 'handed'))"
        )
        rolled = await self._meta("rolled_forward_events")
        last = await self._meta("last_shipment_ms")
        open_dead = await self._scalar(
            "SELECT COUNT(*) FROM records WHERE state = 'dead' AND discarded_ms IS NULL"
        )
        return Status(
            pending_events=await self._count_pending_events(),
            pending_records=counts.get(RecordState.PENDING, 0),
            billed_records=counts.get(RecordState.BILLED, 0),
            dead_letter_records=counts.get(RecordState.DEAD, 0),
            rolled_forward_events=int(rolled or 0),
            oldest_pending_event=None if oldest is None else int(oldest) / 1000,
            sealed_through=float(self._watermark),
            last_shipment=None if last is None else int(last) / 1000,
            open_dead_letter_records=int(open_dead),
            skipped_records=counts.get(RecordState.SKIPPED, 0),
        )

    async def prune(self, now: float) -> int:
        """Drop billed events past the id retention and billed records past the audit retention."""
        id_cutoff = int((now - self.settings.id_retention_seconds) * 1000)
        audit_cutoff = int((now - self.settings.audit_retention_seconds) * 1000)
        async with self._lock, self._transaction():
            cursor = await self.db.execute(
                "DELETE FROM events WHERE seq IN (SELECT e.seq FROM events e JOIN records r "
                "ON r.id = e.record_id WHERE r.state = 'billed' AND e.received_ms < ? LIMIT 50000)",
                (id_cutoff,),
            )
            removed = cursor.rowcount
            await self.db.execute(
                "DELETE FROM records WHERE state = 'billed' AND finished_ms < ? "
                "AND NOT EXISTS (SELECT 1 FROM events e WHERE e.record_id = records.id)",
                (audit_cutoff,),
            )
        return max(removed, 0)


def _damaged(path: str, detail: str) -> str:
    return (
        f"the database {path} is damaged ({detail}). The sidecar will not start on it and has not "
        "changed it. It may hold unbilled usage: copy it aside (with its -wal file) for recovery, "
        "e.g. `sqlite3 FILE .recover > dump.sql`, then start with a new --db path"
    )


def _has_content(path: str) -> bool:
    file = Path(path)
    return file.exists() and file.stat().st_size > 0


def _disk_has_room(path: str, reserve: int) -> bool:
    return shutil.disk_usage(Path(path).resolve().parent).free >= reserve

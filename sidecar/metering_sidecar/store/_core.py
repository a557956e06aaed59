"""Shared core of the store: settings, the connection, the one write lock, transactions, small helpers."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiosqlite

from metering_sidecar.core import AppendResult, Clock, SidecarError, StorageError, StorageFull, UsageEvent

log = logging.getLogger("sidecar.store")

KEY = "product, license_arn, customer_field, customer, dimension, window_start"
CHUNK = 900  # stay under SQLite's host-parameter limit on every build


@dataclass
class Pending:
    """An append waiting for the next group commit."""

    events: Sequence[UsageEvent]
    future: asyncio.Future[AppendResult]


@dataclass
class StoreSettings:
    """What the store needs to know of the configuration."""

    window_seconds: int
    max_record_age: float
    expiry_margin: float
    max_pending_events: int = 5_000_000
    max_db_bytes: int = 0
    id_retention_seconds: float = 7 * 86400
    audit_retention_seconds: float = 90 * 86400
    ship_from: float = 0.0  # windows starting before this are sealed as 'skipped', never shipped
    # A new database treats the current window as sealed (single mode). Cluster mode sums contributions
    # and rolls late ones forward in the ledger, so a new disk may join the current window there.
    fresh_start_seals_current_window: bool = True


class StoreCore:
    """State and helpers every part of the store shares. Every write runs under ``_lock``."""

    path: str
    settings: StoreSettings
    clock: Clock
    _db: aiosqlite.Connection | None
    _lock: asyncio.Lock
    _queue: list[Pending]
    _writer: asyncio.Task[None] | None
    _watermark: int
    _pending_events: int
    healthy: bool
    last_error: str
    created: bool
    ingest_commits: int

    @property
    def db(self) -> aiosqlite.Connection:
        """Return the open connection."""
        if self._db is None:
            raise StorageError("the store is not open")
        return self._db

    @property
    def watermark(self) -> int:
        """Return the start of the earliest window not yet sealed (every earlier one is sealed)."""
        return self._watermark

    async def _scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        async with self.db.execute(sql, tuple(params)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else row[0]

    async def _meta(self, key: str) -> str | None:
        value = await self._scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    async def _set_meta(self, values: dict[str, str]) -> None:
        await self.db.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )

    async def _set_meta_txn(self, values: dict[str, str]) -> None:
        async with self._transaction():
            await self._set_meta(values)

    async def _add_counter(self, key: str, amount: int) -> None:
        if amount:
            await self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + excluded.value",
                (key, str(amount)),
            )

    async def _count_pending_events(self) -> int:
        unsealed = await self._scalar("SELECT COUNT(*) FROM events WHERE record_id IS NULL")
        in_records = await self._scalar(
            "SELECT COALESCE(SUM(event_count), 0) FROM records WHERE state IN ('pending', 'handed')"
        )
        return int(unsealed) + int(in_records)

    def _transaction(self) -> _Transaction:
        return _Transaction(self)

    def _mark_healthy(self) -> None:
        if not self.healthy:
            log.info("storage recovered")
        self.healthy = True
        self.last_error = ""

    def _mark_unhealthy(self, message: str) -> None:
        if self.healthy:
            log.error("storage failing", extra={"fields": {"error": message}})
        self.healthy = False
        self.last_error = message

    def _settled(self, events: int) -> None:
        self._pending_events -= events

    @property
    def expiry_after(self) -> float:
        """Return how long after its timestamp a record is dead-lettered as expired."""
        return self.settings.max_record_age - self.settings.expiry_margin

    @property
    def pending_events(self) -> int:
        """Return the in-memory count of acknowledged, unsettled events (used for the buffer cap)."""
        return self._pending_events


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, mapping SQLite failures to StorageFull/StorageError."""

    def __init__(self, store: StoreCore) -> None:
        self.store = store

    async def __aenter__(self) -> None:
        db = self.store.db
        if db.in_transaction:
            # A transaction an earlier, cancelled caller left open (aiosqlite still ran its BEGIN):
            # nothing in it was committed, and leaving it would refuse every write from now on.
            log.warning("rolling back a transaction a cancelled caller left open")
            await self._rollback()
        try:
            await db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._map(exc) from exc
        except BaseException:
            # Cancelled while BEGIN was queued: it still runs, so undo it before giving up.
            await asyncio.shield(self._rollback())
            raise

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        db = self.store.db
        if et is None:
            try:
                await db.execute("COMMIT")
                return
            except sqlite3.Error as exc:
                await self._rollback()
                raise self._map(exc) from exc
        await asyncio.shield(self._rollback())
        if isinstance(e, sqlite3.Error):
            raise self._map(e) from e

    async def _rollback(self) -> None:
        try:
            await self.store.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite already rolled back (for example after SQLITE_FULL)

    def _map(self, exc: sqlite3.Error) -> SidecarError:
        code = getattr(exc, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_FULL:
            message = "disk full: the database cannot grow; free space or raise --max-db-bytes"
            self.store._mark_unhealthy(message)
            return StorageFull(message)
        message = f"database error: {exc}"
        self.store._mark_unhealthy(message)
        return StorageError(message)

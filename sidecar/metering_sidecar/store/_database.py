"""The database: one connection, the file lock, the write lock, transactions, metadata and health.

SQLite in WAL mode with synchronous=FULL: a commit returns once it is fsynced (I1). Every write of
every part runs under the one ``write_lock`` on the one connection, so the watermark and the
roll-forward rule are decided in the same serial order as the commits. The other parts receive this
object and never open, close or lock anything themselves.

aiosqlite runs every call on the connection's own thread, one hand-off (queue, wake, answer) per
call. ``write()`` runs a whole transaction, BEGIN to COMMIT, as one such hand-off: ingest's group
commit uses it, so a commit costs one hand-off instead of three (BENCHMARKS.md, "Where the time goes").
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import aiosqlite

from metering_sidecar.core import SidecarError, StorageError, StorageFull
from metering_sidecar.store._file_lock import DatabaseFileLock
from metering_sidecar.store._lock import DatabaseLock
from metering_sidecar.store._schema import MIGRATIONS, SCHEMA_VERSION
from metering_sidecar.store._settings import log

_ADD_COLUMN = re.compile(r"ALTER TABLE (\w+) ADD COLUMN (\w+)", re.IGNORECASE)
ROOM_RESERVE_BYTES = 1 << 20  # a recovered store must have this much room (or a tenth of --max-db-bytes)
T = TypeVar("T")
ADD_COUNTER = (
    "INSERT INTO meta (key, value) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + excluded.value"
)


class Database:
    """The connection and everything about it; open() and close() it, write under ``write_lock``."""

    def __init__(self, path: str | Path, *, max_db_bytes: int = 0) -> None:
        self.path = str(path)
        self.max_db_bytes = max_db_bytes
        self.write_lock = asyncio.Lock()
        self.healthy = True
        self.last_error = ""
        self.created = False
        self._conn: aiosqlite.Connection | None = None
        self._path_lock = DatabaseLock(self.path)  # <db>.lock: names the holder for the refusal
        self._file_lock = DatabaseFileLock(self.path)  # the file itself: its hard links and bind mounts too

    @property
    def conn(self) -> aiosqlite.Connection:
        """Return the open connection."""
        if self._conn is None:
            raise StorageError("the store is not open")
        return self._conn

    async def open(self, *loaders: Callable[[], Awaitable[None]]) -> None:
        """Lock, open, check and migrate, then run ``loaders``; refuse a damaged file without touching it."""
        self._path_lock.acquire()
        try:
            self._file_lock.acquire()  # creates a missing file empty: SQLite opens that as a new database
        except BaseException:
            self._path_lock.release()
            raise
        existed = self._file_lock.had_content
        try:
            self._conn = await aiosqlite.connect(self.path, isolation_level=None)
            if existed:
                await self._check_integrity()
            await self.conn.execute("PRAGMA journal_mode=WAL")
            await self.conn.execute("PRAGMA synchronous=FULL")
            await self.conn.execute("PRAGMA foreign_keys=ON")
            await self.conn.execute("PRAGMA busy_timeout=5000")
            if self.max_db_bytes:
                await self.set_max_db_bytes(self.max_db_bytes)
            await self._migrate()
            # The parts load their state (watermark, backlog) inside the same refusal as the checks.
            for load in loaders:
                await load()
        except sqlite3.DatabaseError as exc:
            await self.close()
            raise StorageError(_damaged(self.path, str(exc))) from exc
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Close the connection and give the locks back; safe to call twice."""
        try:
            if self._conn is not None:
                try:
                    await self._conn.close()
                except (sqlite3.Error, ValueError):
                    pass
                finally:
                    self._conn = None
        finally:  # even when closing failed or was cancelled: a restart in this process must not be refused
            self._file_lock.release()  # after the connection: closing it drops this process's POSIX locks
            self._path_lock.release()

    async def _check_integrity(self) -> None:
        rows = await self.conn.execute_fetchall("PRAGMA quick_check")
        problems = [line for r in rows if r[0] != "ok" for line in str(r[0]).splitlines()]
        if problems:
            more = f" (and {len(problems) - 3} more problems)" if len(problems) > 3 else ""
            raise sqlite3.DatabaseError("; ".join(problems[:3]) + more)

    async def _migrate(self) -> None:
        version = int(await self.scalar("PRAGMA user_version"))
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"{self.path} has schema version {version}, newer than this sidecar's {SCHEMA_VERSION}; "
                "run a newer metering-sidecar on it"
            )
        if version == 0:
            self.created = True
        for target in range(version + 1, SCHEMA_VERSION + 1):
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                await self._run_script(MIGRATIONS[target - 1])
                await self.conn.execute(f"PRAGMA user_version={target}")
                await self.conn.execute("COMMIT")
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            log.info("database migrated", extra={"fields": {"schema_version": target}})

    async def _run_script(self, script: str) -> None:
        # executescript would COMMIT first; run statement by statement inside our transaction.
        for statement in (s.strip() for s in script.split(";")):
            if statement and not await self._has_added_column(statement):
                await self.conn.execute(statement)

    async def _has_added_column(self, statement: str) -> bool:
        """Return whether ``statement`` adds a column the table has already (SQLite has no IF NOT EXISTS).

        A file with a lower version but a newer version's column (one taken back to an older version by
        hand) then migrates instead of failing on a duplicate column.
        """
        added = _ADD_COLUMN.match(statement)
        if added is None:
            return False
        rows = await self.conn.execute_fetchall(f"PRAGMA table_info({added[1]})")
        return any(str(r[1]) == added[2] for r in rows)

    def transaction(self) -> Transaction:
        """Return BEGIN IMMEDIATE ... COMMIT as an async context (take ``write_lock`` first)."""
        return Transaction(self)

    async def write(self, body: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``body`` inside BEGIN IMMEDIATE ... COMMIT on the connection's thread, in one hand-off.

        Take ``write_lock`` first. ``body`` gets the plain sqlite3 connection and must not touch the
        event loop; what it returns is returned once the COMMIT has returned (fsynced). If it raises,
        the transaction is rolled back and the error raised here; SQLite failures are mapped as
        ``transaction()`` maps them. Once handed off, the transaction runs to its end even if the
        awaiting task is cancelled.
        """
        conn = self.conn
        # aiosqlite has no public call for "run this function on the connection's thread": _execute is
        # what its own execute() and commit() use (pinned aiosqlite; tests/test_store_parts.py checks it).
        run: Callable[..., Awaitable[T]] = conn._execute
        try:
            return await run(partial(_transact, conn, body))
        except sqlite3.Error as exc:
            raise _map_error(self, exc) from exc

    async def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """Return the first column of the first row (None when there is no row)."""
        async with self.conn.execute(sql, tuple(params)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else row[0]

    async def meta(self, key: str) -> str | None:
        """Return one metadata value."""
        value = await self.scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    async def set_meta(self, values: dict[str, str]) -> None:
        """Set metadata values inside the caller's transaction."""
        await self.conn.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )

    async def set_meta_txn(self, values: dict[str, str]) -> None:
        """Set metadata values in a transaction of their own (the caller holds ``write_lock``)."""
        async with self.transaction():
            await self.set_meta(values)

    async def add_counter(self, key: str, amount: int) -> None:
        """Add to an integer metadata counter inside the caller's transaction."""
        if amount:
            await self.conn.execute(ADD_COUNTER, (key, str(amount)))

    def mark_healthy(self) -> None:
        """Record that a write succeeded."""
        if not self.healthy:
            log.info("storage recovered")
        self.healthy = True
        self.last_error = ""

    def mark_unhealthy(self, message: str) -> None:
        """Record that a write failed, and why."""
        if self.healthy:
            log.error("storage failing", extra={"fields": {"error": message}})
        self.healthy = False
        self.last_error = message

    async def set_max_db_bytes(self, size: int) -> None:
        """Change the disk budget (--max-db-bytes) at run time."""
        page = int(await self.scalar("PRAGMA page_size"))
        await self.conn.execute(f"PRAGMA max_page_count={max(1, size // page)}")

    async def has_room(self) -> bool:
        """Return whether the database can grow by a safety reserve (disk and --max-db-bytes)."""
        reserve = ROOM_RESERVE_BYTES
        if self.max_db_bytes:
            reserve = min(reserve, self.max_db_bytes // 10)
            page = int(await self.scalar("PRAGMA page_size"))
            used = int(await self.scalar("PRAGMA page_count")) - int(
                await self.scalar("PRAGMA freelist_count")
            )
            if (int(await self.scalar("PRAGMA max_page_count")) - used) * page < reserve:
                return False
        return await asyncio.to_thread(_disk_has_room, self.path, reserve)

    async def probe(self) -> bool:
        """After a failure: when there is room again, try a tiny write so the store can recover."""
        try:
            if not await self.has_room():
                return False
            async with self.write_lock, self.transaction():
                await self.set_meta({"probe_ms": str(int(time.time() * 1000))})
            self.mark_healthy()
        except (SidecarError, sqlite3.Error):
            pass
        return self.healthy


class Transaction:
    """BEGIN IMMEDIATE ... COMMIT, mapping SQLite failures to StorageFull/StorageError."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def __aenter__(self) -> None:
        db = self.database.conn
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
        db = self.database.conn
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
            await self.database.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite already rolled back (for example after SQLITE_FULL)

    def _map(self, exc: sqlite3.Error) -> SidecarError:
        return _map_error(self.database, exc)


def _map_error(database: Database, exc: sqlite3.Error) -> SidecarError:
    """Return the domain error for a failed write, and mark the database unhealthy."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_FULL:
        message = "disk full: the database cannot grow; free space or raise --max-db-bytes"
        database.mark_unhealthy(message)
        return StorageFull(message)
    message = f"database error: {exc}"
    database.mark_unhealthy(message)
    return StorageError(message)


def _transact(conn: aiosqlite.Connection, body: Callable[[sqlite3.Connection], T]) -> T:
    """On the connection's thread: BEGIN IMMEDIATE, ``body``, COMMIT; ROLLBACK if anything raises."""
    db = conn._conn  # the plain sqlite3 connection aiosqlite owns (its thread is the one running this)
    if db.in_transaction:
        # Left open by an async transaction whose caller was cancelled: nothing in it was committed.
        log.warning("rolling back a transaction a cancelled caller left open")
        db.execute("ROLLBACK")
    db.execute("BEGIN IMMEDIATE")
    try:
        result = body(db)
        db.execute("COMMIT")
    except BaseException:
        try:
            db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite already rolled back (for example after SQLITE_FULL)
        raise
    return result


def _damaged(path: str, detail: str) -> str:
    return (
        f"the database {path} is damaged ({detail}). The sidecar will not start on it and has not "
        "changed it. It may hold unbilled usage: copy it aside (with its -wal file) for recovery, "
        "e.g. `sqlite3 FILE .recover > dump.sql`, then start with a new --db path"
    )


def _disk_has_room(path: str, reserve: int) -> bool:
    return shutil.disk_usage(Path(path).resolve().parent).free >= reserve

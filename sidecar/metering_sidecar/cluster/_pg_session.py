"""The ledger's sessions: one connection per kind of caller, and every call within a client-side deadline.

Every session has TCP keepalives, a statement timeout, a lock timeout and an idle-in-transaction timeout,
and a call that does not answer in time is abandoned, never waited for (a black-holed network never
hangs a pass).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg

from metering_sidecar.cluster._pg_errors import pg_error
from metering_sidecar.core import LedgerError

T = TypeVar("T")
Work = Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]]


class _Slot:
    """One connection and the lock that gives it to one call at a time."""

    def __init__(self) -> None:
        self.conn: psycopg.AsyncConnection[Any] | None = None
        self.lock = asyncio.Lock()


class Sessions:
    """The flusher's, the RPCs' and the heartbeats' connections, each used by one call at a time.

    ``prepare`` runs on every new connection (the schema check); ``lost`` is called when the pass's own
    session fails or is abandoned, which ends leadership.
    """

    def __init__(
        self,
        dsn: str,
        *,
        call_timeout: float,
        member_timeout: float,
        prepare: Callable[[psycopg.AsyncConnection[Any]], Awaitable[None]],
        lost: Callable[[], None],
    ) -> None:
        self.dsn = dsn
        self.call_timeout = call_timeout
        self.member_timeout = member_timeout
        self._prepare = prepare
        self._lost = lost
        self._main = _Slot()  # the flusher's calls
        self._rpc = _Slot()  # RPCs (customer bindings, operator retries), never queued behind a pass
        self._beat = _Slot()  # heartbeats and lease renewals between passes, never queued behind a pass
        self._orphans: set[asyncio.Task[Any]] = set()

    async def _connect(self, slot: _Slot) -> psycopg.AsyncConnection[Any]:
        if slot.conn is not None and not slot.conn.closed:
            return slot.conn
        timeout = max(1, int(self.call_timeout))
        conn = await psycopg.AsyncConnection.connect(
            self.dsn, autocommit=True, connect_timeout=timeout,
            # A peer that vanished (partition, dead node) is noticed by the OS, not after hours.
            keepalives=1, keepalives_idle=max(1, timeout // 2), keepalives_interval=max(1, timeout // 4),
            keepalives_count=3, tcp_user_timeout=timeout * 1000,
        )  # fmt: skip
        try:
            statement_ms = int(self.call_timeout * 1000)
            # A stopped shipper in the middle of a transaction must not keep its locks past its lease.
            idle_ms = int(min(self.call_timeout, self.member_timeout) * 1000)
            await conn.execute(
                "SELECT set_config('statement_timeout', %s, false), set_config('lock_timeout', %s, false), "
                "set_config('idle_in_transaction_session_timeout', %s, false)",
                (str(statement_ms), str(max(1, statement_ms // 2)), str(max(1000, idle_ms))),
            )
            await self._prepare(conn)
        except BaseException:
            await conn.close()
            raise
        slot.conn = conn
        return conn

    async def _call(self, slot: _Slot, work: Work[T]) -> T:
        async with slot.lock:
            conn: psycopg.AsyncConnection[Any] | None = None
            try:
                conn = await self._connect(slot)
                return await work(conn)
            except BaseException:
                # Failed, timed out or cancelled: the session's state is unknown (maybe mid-transaction,
                # maybe on a replaced database), so the next call starts a new one.
                if conn is not None:
                    await conn.close()
                slot.conn = None
                raise

    async def run(self, work: Work[T], *, rpc: bool = False, beat: bool = False) -> T:
        """Run ``work`` on a connection within the call deadline; PostgreSQL failures become LedgerError."""
        slot = self._beat if beat else self._rpc if rpc else self._main
        rpc = rpc or beat  # neither is the pass's session: their failures do not end leadership
        task = asyncio.ensure_future(self._call(slot, work))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.call_timeout)
        except BaseException:
            done = set()  # the caller was cancelled (shutdown): abandon the call the same way
            self._abandon(task, rpc=rpc, slot=slot)
            raise
        if not done:
            self._abandon(task, rpc=rpc, slot=slot)
            raise LedgerError(
                "PostgresTimeout", f"no answer from PostgreSQL within {self.call_timeout:g} s", retryable=True
            )
        try:
            return task.result()
        except psycopg.Error as exc:
            if not rpc and isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
                self._lost()
            raise pg_error(exc, self.dsn) from None

    def _abandon(self, task: asyncio.Task[Any], *, rpc: bool, slot: _Slot) -> None:
        # Never wait for a black-holed server: cancel the call (it closes its own session once psycopg
        # gives up cancelling the query) and give the next call a fresh connection.
        # A slot already replaced (an earlier call on it was abandoned first) is left as it is: the current
        # ones are not this call's.
        task.cancel()
        self._orphans.add(task)
        task.add_done_callback(self._orphan_done)
        if slot is self._beat:
            self._beat = _Slot()
        elif slot is self._rpc:
            self._rpc = _Slot()
        elif slot is self._main:
            self._main = _Slot()
        if not rpc:
            self._lost()  # the pass's own session (rpc covers heartbeats too): leadership ends

    def _orphan_done(self, task: asyncio.Task[Any]) -> None:
        self._orphans.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: an abandoned call's error was already reported as a timeout

    async def close(self) -> None:
        """Close every connection and cancel the calls abandoned meanwhile; safe to call twice."""
        for slot in (self._main, self._rpc, self._beat):
            if slot.conn is not None and not slot.conn.closed:
                await slot.conn.close()
            slot.conn = None
        for task in [*self._orphans]:
            task.cancel()

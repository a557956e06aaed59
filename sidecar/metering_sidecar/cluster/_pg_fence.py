"""This member's fence against shippers of the previous version (a rolling upgrade).

The shipper lease (in ``_ledger``) is checked together with the fence in the same transaction: only this
version's shipper whose fence holds may freeze, expire or apply AWS's answers.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import psycopg

from metering_sidecar.cluster._schema import OLD_SHIPPER_LOCK

log = logging.getLogger("sidecar.cluster")
# OLD_SHIPPER_LOCK held shared by this member's fence session (classid/objid/objsubid of a one-bigint key).
FENCE_HOLDS = (
    "EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = %(fence)s AND classid = 0 "
    f"AND objid = {OLD_SHIPPER_LOCK} AND objsubid = 1 AND mode = 'ShareLock' AND granted)"
)


class Fence:
    """OLD_SHIPPER_LOCK held shared on a session of its own (``pid`` is that session's, -1 without one)."""

    def __init__(self, dsn: str, *, call_timeout: float, member_timeout: float) -> None:
        self.dsn = dsn
        self.call_timeout = call_timeout
        self.member_timeout = member_timeout
        self._waiting_for_old_shipper = False
        self.task: asyncio.Task[None] | None = None
        self.pid = -1
        self._granted = asyncio.Event()

    def cancel(self) -> None:
        """End the fence session (the member is closing)."""
        if self.task is not None:
            self.task.cancel()
        self.task = None

    async def holds(self, conn: psycopg.AsyncConnection[Any]) -> bool:
        """Return whether the fence holds; say so once when a previous-version member is the shipper."""
        shared = await (await conn.execute(
            f"SELECT {FENCE_HOLDS}, EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 "
            f"AND objid = {OLD_SHIPPER_LOCK} AND objsubid = 1 AND mode = 'ExclusiveLock' AND granted)",
            {"fence": self.pid},
        )).fetchone()  # fmt: skip
        assert shared is not None
        if not shared[0]:
            if self.pid != -1 and self.task is not None:
                self.task.cancel()  # its session is gone (a restart): a new one next pass
            if not shared[1]:
                return False  # the fence is on its way
            if not self._waiting_for_old_shipper:
                log.warning("a member of the previous version is the cluster's shipper; this one hands over "
                            "and takes over once that member is upgraded")  # fmt: skip
            self._waiting_for_old_shipper = True
            return False
        self._waiting_for_old_shipper = False
        return True

    async def ensure(self) -> None:
        """Start the fence session unless it runs; wait briefly for the lock to be granted."""
        if self.task is None or self.task.done():
            self.pid = -1
            self._granted = asyncio.Event()
            self.task = asyncio.create_task(self._hold(), name="cluster-fence")
            # Usually granted at once; a previous-version shipper makes it wait in the background.
            try:
                await asyncio.wait_for(self._granted.wait(), min(1.0, self.call_timeout))
            except TimeoutError:
                pass

    async def _hold(self) -> None:
        """Hold OLD_SHIPPER_LOCK shared on a session of its own for as long as it lives.

        Previous-version members elect their shipper with that lock exclusive, so while any member of this
        version holds it shared, none of them can become the shipper. The request queues behind a previous
        shipper's exclusive hold, so it is granted the moment that member goes (a rolling upgrade), before
        another previous-version member can take it. Only this version's shipper, whose fence holds the
        lock, freezes or applies (checked in the same transaction).
        """
        timeout = max(1, int(self.call_timeout))
        try:
            conn = await asyncio.wait_for(
                psycopg.AsyncConnection.connect(
                    self.dsn, autocommit=True, connect_timeout=timeout, keepalives=1,
                    keepalives_idle=max(1, timeout // 2), keepalives_interval=max(1, timeout // 4),
                    keepalives_count=3,
                ),
                self.call_timeout,
            )  # fmt: skip
        except (TimeoutError, psycopg.Error):
            return  # tried again next pass
        try:
            # No statement timeout: the wait for a previous-version shipper to go may be long.
            await conn.execute("SELECT set_config('statement_timeout', '0', false)")
            await conn.execute("SELECT pg_advisory_lock_shared(%s)", (OLD_SHIPPER_LOCK,))
            self.pid = conn.info.backend_pid
            self._granted.set()
            while not conn.closed:
                await asyncio.sleep(self.member_timeout)
                await asyncio.wait_for(conn.execute("SELECT 1"), self.call_timeout)
        except (TimeoutError, psycopg.Error):
            pass  # the session is gone: a new one next pass
        finally:
            self.pid = -1
            await conn.close()

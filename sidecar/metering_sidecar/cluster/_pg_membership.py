"""Membership and the ledger's identity: heartbeats, the identity and generation that tell a lost ledger,
and a loss reported so that freezing waits for members to offer their records again."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import psycopg

from metering_sidecar.cluster._pg_session import Sessions
from metering_sidecar.store import Contributor


class Membership:
    """This member's heartbeat and the ledger's identity, on the caller's session.

    ``contributor`` and ``identity`` return the member's name and the ledger identity it knows, read when
    a call runs (a new session reads the identity first).
    """

    def __init__(
        self,
        sessions: Sessions,
        *,
        expiry_after: float,
        member_timeout: float,
        contributor: Callable[[], Contributor],
        identity: Callable[[], str],
    ) -> None:
        self._sessions = sessions
        self.expiry_after = expiry_after
        self.member_timeout = member_timeout
        self._contributor = contributor
        self._identity = identity

    async def heartbeat(
        self,
        now: float,
        handed_through: int,
        *,
        leaving: bool = False,
        offered: bool = False,
        beat: bool = False,
    ) -> list[str]:
        """Record that this instance is alive and has handed over everything before ``handed_through``.

        The time is PostgreSQL's (the lease's clock too), so members' clocks never decide who is alive.
        The heartbeat also says this member has offered everything again to the ledger it now knows
        (``rebuilt:<instance>``), which ends a rebuild's wait for it. Returns the members the ledger lists
        as not gone (remembered, so a lost ledger can wait for them).
        """
        del now  # kept for callers: liveness is on the server's clock

        async def run(conn: psycopg.AsyncConnection[Any]) -> list[str]:
            instance, incarnation = self._contributor()
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO ms_members (instance_id, heartbeat_s, sealed_through, left_s, incarnation) VALUES "
                    "(%(me)s, extract(epoch FROM clock_timestamp()), %(through)s, CASE WHEN %(leaving)s THEN "
                    "extract(epoch FROM clock_timestamp()) END, %(inc)s) ON CONFLICT (instance_id) DO UPDATE SET "
                    "heartbeat_s = excluded.heartbeat_s, sealed_through = excluded.sealed_through, "
                    "left_s = excluded.left_s, incarnation = excluded.incarnation",
                    {"me": instance, "through": handed_through, "leaving": leaving, "inc": incarnation},
                )  # fmt: skip
                if offered and self._identity():  # only after a pass handed everything over to this ledger
                    await conn.execute(
                        "INSERT INTO ms_meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE "
                        "SET value = excluded.value",
                        (f"rebuilt:{instance}", self._identity()),
                    )
                rows = await (await conn.execute(
                    "SELECT instance_id FROM ms_members WHERE left_s IS NULL AND heartbeat_s > "
                    "extract(epoch FROM clock_timestamp()) - %s ORDER BY 1",
                    (self.expiry_after,),
                )).fetchall()  # fmt: skip
            return [str(r[0]) for r in rows]

        return await self._sessions.run(run, beat=beat)

    async def read_identity(self) -> tuple[str, int]:
        """Return the ledger's identity as it is now ("<identity>/<epoch>") and its generation."""

        async def run(conn: psycopg.AsyncConnection[Any]) -> tuple[str, int]:
            rows = await (await conn.execute(
                "SELECT key, value FROM ms_meta WHERE key IN ('identity', 'epoch') UNION ALL "
                # The ledger's generation: the records' sequence only grows, so a smaller value than a member
                # saw means the ledger went back in time (restored from a backup, failed over to a replica
                # without the latest writes), though its identity row is the same.
                "SELECT 'generation', COALESCE(pg_sequence_last_value(pg_get_serial_sequence('ms_records', "
                "'id')::regclass), 0)::text"
            )).fetchall()  # fmt: skip
            meta = {str(k): str(v) for k, v in rows}
            return f"{meta.get('identity', '')}/{meta.get('epoch', '')}", int(meta.get("generation", "0"))

        return await self._sessions.run(run)

    async def report_loss(self, *, new_epoch: bool, peers: Sequence[str] = (), hold: float = 0.0) -> None:
        """Some handed-over history is gone: hold freezing while members offer their records again.

        Freezing waits for every member expected back: ``peers`` (the members this instance saw before the
        loss) and those the ledger still lists, until each has handed over again under the new identity
        (its heartbeat says so), or for at most ``hold`` seconds (the close deadline) on PostgreSQL's clock.
        A window rebuilt without a member that comes back later could not take its share any more.
        ``new_epoch`` also gives the ledger a new epoch, so every member (not only the one that noticed)
        offers its recent records again.
        """

        async def run(conn: psycopg.AsyncConnection[Any]) -> str:
            async with conn.transaction():
                if new_epoch:
                    await conn.execute(
                        "UPDATE ms_meta SET value = %s WHERE key = 'epoch'", (str(uuid.uuid4()),)
                    )
                await conn.execute(
                    "INSERT INTO ms_meta (key, value) VALUES ('rebuild_until', "
                    "(extract(epoch FROM clock_timestamp()) + %s)::text) ON CONFLICT (key) DO UPDATE "
                    "SET value = GREATEST(CAST(ms_meta.value AS DOUBLE PRECISION), CAST(excluded.value AS DOUBLE "
                    "PRECISION))::text",
                    (max(hold, self.member_timeout),),
                )  # fmt: skip
                rows = await (await conn.execute(
                    "SELECT value FROM ms_meta WHERE key = 'rebuild_expects' UNION ALL "
                    "SELECT instance_id FROM ms_members WHERE left_s IS NULL"
                )).fetchall()  # fmt: skip
                expects = set(peers)
                for (value,) in rows:
                    value = str(value)
                    expects.update(json.loads(value) if value.startswith("[") else [value])
                await conn.execute(
                    "INSERT INTO ms_meta (key, value) VALUES ('rebuild_expects', %s) ON CONFLICT (key) DO UPDATE "
                    "SET value = excluded.value",
                    (json.dumps(sorted(expects)),),
                )  # fmt: skip
            return ""

        await self._sessions.run(run)

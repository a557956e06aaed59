"""PostgresLedger: cluster mode's shared ledger on PostgreSQL (psycopg 3, async), the ``_port.ClusterLedger``.

What stays here: wiring the parts together, the shipper lease (a row with an expiry on the database's clock
and a fencing token: taken, renewed, released and checked here), freezing in transactions of FREEZE_CHUNK
keys, and operator retries. Freezing, expiry and applying the marketplace's answers check the lease in the
same transaction (``_fenced``), so a paused or partitioned old shipper can do none of them after another
member took over. The parts, each a small class the ledger holds and delegates to:

- ``_pg_session`` sessions and call deadlines; ``_pg_errors`` errors and DSN checks;
- ``_pg_migration`` schema version, migration and pruning; ``_pg_fence`` the fence against previous-version
  shippers;
- ``_pg_membership`` heartbeats, the ledger's identity and generation, loss reports;
- ``_pg_handover`` hand-over and verdicts; ``_pg_freeze`` summing contributions into frozen records;
  ``_pg_records`` expiry, due records, the Flush RPC and the marketplace's answers.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Collection, Sequence
from typing import Any

import psycopg

from metering_sidecar.cluster._pg_errors import LedgerRefused as LedgerRefused  # imported from here too
from metering_sidecar.cluster._pg_errors import check_dsn
from metering_sidecar.cluster._pg_errors import scrub as scrub  # imported from here too
from metering_sidecar.cluster._pg_fence import FENCE_HOLDS, Fence
from metering_sidecar.cluster._pg_freeze import Freezer, Key
from metering_sidecar.cluster._pg_handover import HandOver, Verdicts
from metering_sidecar.cluster._pg_membership import Membership
from metering_sidecar.cluster._pg_migration import Migration
from metering_sidecar.cluster._pg_records import Records
from metering_sidecar.cluster._pg_session import Sessions, T, Work
from metering_sidecar.core import (
    LedgerError,
    Record,
    RecordOutcome,
    Refused,
)
from metering_sidecar.store import Contribution, Contributor, Handed, RecordKey
from metering_sidecar.targets import TargetRegistry, default_targets

log = logging.getLogger("sidecar.cluster")
FREEZE_CHUNK = 400  # keys frozen per transaction (one call, one deadline)


class PostgresLedger:
    """PostgreSQL access for one instance."""

    def __init__(
        self,
        dsn: str,
        instance_id: str,
        *,
        window_seconds: int,
        expiry_after: float,
        member_timeout: float = 30.0,
        call_timeout: float = 10.0,
        targets: TargetRegistry | None = None,
    ) -> None:
        check_dsn(dsn)
        self.instance_id = instance_id
        self.incarnation = ""  # this database's, set when the member joins
        # Each marketplace's encoder, limits and maximum age. The default's AWS records expire
        # ``expiry_after`` after their timestamp, as they always have.
        self.targets = targets or default_targets(max_record_age=expiry_after, expiry_margin=0.0)
        self.member_timeout = member_timeout
        self.identity = ""  # "<ledger identity>/<epoch>" of the ledger last connected to
        self.generation = 0  # the highest record id the ledger had issued, when its identity was last read
        self.leader = False
        self._nonce = secrets.token_hex(4)  # this process: a restarted one never reuses a lease
        self._token: int | None = None
        self._freezer = Freezer(window=window_seconds, targets=self.targets)
        self._schema = Migration(
            dsn,
            call_timeout=call_timeout,
            expiry_after=expiry_after,
            targets=self.targets,
            window=window_seconds,
        )
        self._sessions = Sessions(
            dsn,
            call_timeout=call_timeout,
            member_timeout=member_timeout,
            prepare=self._prepare,
            lost=self._lost,
        )
        self._fence = Fence(dsn, call_timeout=call_timeout, member_timeout=member_timeout)
        self._handover = HandOver(self._sessions)
        self._membership = Membership(
            self._sessions,
            expiry_after=expiry_after,
            member_timeout=member_timeout,
            contributor=lambda: self.contributor,
            identity=lambda: self.identity,
        )
        self._records = Records(
            self._sessions, fenced=self._fenced, schema=self._schema, targets=self.targets
        )

    @property
    def contributor(self) -> Contributor:
        """Return who this instance hands over as: (instance id, incarnation)."""
        return (self.instance_id, self.incarnation)

    @property
    def holder(self) -> str:
        """Return this process's name in the shipper lease."""
        return f"{self.instance_id}/{self.incarnation}/{self._nonce}"

    def _lost(self) -> None:
        """The pass's session failed or was abandoned: this member no longer counts as the shipper."""
        self.leader = False

    # -- connections and deadlines ----------------------------------------------------------------

    async def _run(self, work: Work[T], *, rpc: bool = False, beat: bool = False) -> T:
        """Run ``work`` on a connection within the call deadline; PostgreSQL failures become LedgerError."""
        return await self._sessions.run(work, rpc=rpc, beat=beat)

    async def close(self) -> None:
        """Give the shipper lease back and close both connections; safe to call twice."""
        if self.leader and self._token is not None:
            # A rolling restart's next shipper need not wait out the lease.
            try:
                await self._run(self._release)
            except LedgerError:
                pass  # it lapses by itself within the member timeout
        await self._sessions.close()
        self._fence.cancel()
        self._schema.cancel()  # a migration cut short is taken up again by the next member
        self.leader = False

    # -- schema, identity and membership ----------------------------------------------------------

    async def _prepare(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """On every new session: check (or migrate) the ledger's schema and read its identity."""
        self.identity = await self._schema.prepare(conn)

    async def current_identity(self) -> str:
        """Return the identity of the ledger as it is now ("<identity>/<epoch>")."""
        self.identity, self.generation = await self._membership.read_identity()
        return self.identity

    async def report_loss(self, *, new_epoch: bool, peers: Sequence[str] = (), hold: float = 0.0) -> str:
        """Some handed-over history is gone: hold freezing while members offer their records again.

        Returns the ledger's identity afterwards (see ``Membership.report_loss``).
        """
        await self._membership.report_loss(new_epoch=new_epoch, peers=peers, hold=hold)
        return await self.current_identity()

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

        Returns the members the ledger lists as not gone (see ``Membership.heartbeat``).
        """
        return await self._membership.heartbeat(
            now, handed_through, leaving=leaving, offered=offered, beat=beat
        )

    # -- hand-over and retries ---------------------------------------------------------------------

    async def hand_over(self, contributions: Sequence[Contribution]) -> tuple[list[int], list[int]]:
        """Insert contributions idempotently; return (record ids now handed, ids whose stored content differs)."""
        return await self._handover.hand_over(contributions, self.contributor)

    async def verdicts(self, handed: Sequence[Handed]) -> Verdicts:
        """Return the cluster's verdicts on handed records, and which of them the ledger does not hold."""
        return await self._handover.verdicts(handed)

    async def retry(self, key: RecordKey, now: float, contributor: Contributor | None = None) -> None:
        """Make the cluster record holding this instance's contribution pending again (operator retry)."""
        instance, incarnation = contributor or self.contributor

        async def run(conn: psycopg.AsyncConnection[Any]) -> str:
            row = await (await conn.execute(
                "UPDATE ms_records SET state = 'pending', next_attempt_s = %s, finished_s = NULL, reason = NULL, "
                "message = 'retried by an operator' WHERE id = (SELECT record_id FROM ms_contributions WHERE "
                "instance_id = %s AND incarnation = %s AND product = %s AND license_arn = %s AND customer_field = %s "
                "AND customer = %s AND dimension = %s AND window_start = %s) AND state = 'dead' AND expires_s > %s "
                "RETURNING id",
                (now, instance, incarnation, *key, now),
            )).fetchone()  # fmt: skip
            return "" if row else "the cluster's record is not a dead letter young enough for AWS"

        problem = await self._run(run, rpc=True)
        if problem:
            raise Refused(problem)

    # -- the shipper's side -----------------------------------------------------------------------

    async def try_lead(self) -> bool:
        """Take or renew the shipper lease; it lapses after the member timeout without renewal."""
        await self._fence.ensure()

        async def run(conn: psycopg.AsyncConnection[Any]) -> int | None:
            if not await self._fence.holds(conn):
                return None
            row = await (await conn.execute(
                "UPDATE ms_lease SET holder = %(me)s, token = CASE WHEN holder = %(me)s AND token = %(token)s "
                "THEN token ELSE token + 1 END, expires_at = clock_timestamp() + make_interval(secs => %(ttl)s) "
                "WHERE name = 'shipper' AND (expires_at < clock_timestamp() OR (holder = %(me)s AND token = %(token)s)) "
                "RETURNING token",
                {"me": self.holder, "token": self._token if self._token is not None else -1,
                 "ttl": self.member_timeout},
            )).fetchone()  # fmt: skip
            return None if row is None else int(row[0])

        token = await self._run(run)
        self.leader = token is not None
        if token is not None and token != self._token:
            log.info(
                "this instance is now the cluster's shipper",
                extra={"fields": {"instance": self.instance_id, "fencing_token": token}},
            )
        elif token is None and self._token is not None:
            # Held before and not renewable now: another member took over (or the fence session died).
            log.warning(
                "this instance lost the shipper lease; it no longer freezes or ships",
                extra={"fields": {"instance": self.instance_id, "fencing_token": self._token}},
            )
        self._token = token
        return self.leader

    async def renew(self) -> bool:
        """Extend the shipper lease this process holds (between passes, e.g. during a slow AWS call).

        Only a lease not yet lapsed, and only while this member's fence holds: a member that lost it
        takes it again only through try_lead, with a new fencing token.
        """
        if self._token is None or not self.leader:
            return False

        async def run(conn: psycopg.AsyncConnection[Any]) -> bool:
            row = await (await conn.execute(
                "UPDATE ms_lease SET expires_at = clock_timestamp() + make_interval(secs => %(ttl)s) WHERE "
                "name = 'shipper' AND holder = %(me)s AND token = %(token)s AND expires_at > clock_timestamp() "
                f"AND {FENCE_HOLDS} RETURNING token",
                {"me": self.holder, "token": self._token, "ttl": self.member_timeout, "fence": self._fence.pid},
            )).fetchone()  # fmt: skip
            return row is not None

        return await self._run(run, beat=True)

    async def _release(self, conn: psycopg.AsyncConnection[Any]) -> None:
        await conn.execute(
            "UPDATE ms_lease SET expires_at = '-infinity' WHERE name = 'shipper' AND holder = %s AND token = %s",
            (self.holder, self._token),
        )
        self.leader = False

    async def _fenced(self, conn: psycopg.AsyncConnection[Any]) -> bool:
        """Inside a transaction: lock the lease row if this process still holds it; False otherwise."""
        if self._token is None:
            return False
        row = await (await conn.execute(
            "SELECT token FROM ms_lease WHERE name = 'shipper' AND holder = %(me)s AND token = %(token)s AND "
            f"expires_at > clock_timestamp() AND {FENCE_HOLDS} FOR UPDATE",
            {"me": self.holder, "token": self._token, "fence": self._fence.pid},
        )).fetchone()  # fmt: skip
        if row is None:
            self.leader = False
        return row is not None

    async def freeze(self, now: float, *, member_timeout: float, deadline: float) -> int:
        """Sum open contributions into frozen cluster records where every live member has handed over.

        In transactions of at most FREEZE_CHUNK keys each, each reading and locking only its own keys'
        contributions: after a long outage the open contributions are many, and one transaction over all of
        them would outlast the call deadline every pass, so freezing would never progress.
        """
        total = 0
        after: Key | None = None
        while True:

            async def run(
                conn: psycopg.AsyncConnection[Any], start: Key | None = after
            ) -> tuple[int, Key | None]:
                async with conn.transaction():
                    if not await self._fenced(conn):
                        return 0, None
                    return await self._freezer.freeze_some(
                        conn, now, member_timeout, deadline, start, limit=FREEZE_CHUNK
                    )

            frozen, after = await self._run(run)
            total += frozen
            if after is None:
                return total

    async def expire(self, now: float) -> list[int]:
        """Dead-letter cluster records about to pass their marketplace's maximum age (only while holding the lease)."""
        return await self._records.expire(now)

    async def due_records(
        self, now: float, limit: int = 10_000, *, exclude: Collection[str] = ()
    ) -> list[Record]:
        """Return frozen cluster records due for an attempt, none of the marketplaces in ``exclude``."""
        return await self._records.due_records(now, limit, exclude=exclude)

    async def make_due(self, now: float, *, exclude: Collection[str] = ()) -> int:
        """Make pending cluster records waiting out a backoff due at ``now`` (the Flush RPC; fenced)."""
        return await self._records.make_due(now, exclude=exclude)

    async def apply(self, outcomes: Sequence[RecordOutcome], now: float) -> None:
        """Store one shipping attempt's results, unless the lease was lost meanwhile (then discard them)."""
        await self._records.apply(outcomes, now)

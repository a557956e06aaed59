"""Cluster mode's flusher step: hand sealed totals over to PostgreSQL, and, on the instance holding the
shipper lease, freeze cluster totals and ship them with the same shipper as single mode."""

from __future__ import annotations

import asyncio
import logging
import time

from metering_sidecar.cluster._ledger import LedgerRefused
from metering_sidecar.cluster._port import ClusterLedger
from metering_sidecar.core import LedgerError, Outcome, PassResult, RecordOutcome
from metering_sidecar.shipping import Shipper
from metering_sidecar.store import Store

log = logging.getLogger("sidecar.cluster")
BATCH = 2000  # contributions per ledger call; a pass hands over everything in batches
BREAKER_CAP_SECONDS = 5.0  # after PostgreSQL failures, passes skip it for up to this long


_CAUSES = {
    "PostgresUnavailable": "PostgreSQL unreachable",
    "PostgresTimeout": "PostgreSQL did not answer within the call deadline",
    "PostgresStatementTimeout": "a PostgreSQL statement hit the statement timeout",
    "PostgresLockTimeout": "a PostgreSQL lock (the shipper lease row or a ledger table) is held by another session",
    "PostgresPermissionDenied": "PostgreSQL refused this member's role the permission it needs",
    "LedgerMigrating": "the cluster ledger is being migrated",
    "LedgerMigrationFailed": "migrating the cluster ledger failed",
    "LedgerMigrationRefused": "migrating the cluster ledger needs more privileges",
}


def describe(exc: LedgerError) -> str:
    """Return what an operator should read for a ledger failure, by its cause."""
    return _CAUSES.get(exc.code, f"the cluster ledger failed ({exc.code})")


class ClusterShipping:
    """Runs in every flusher pass in cluster mode."""

    def __init__(
        self, store: Store, ledger: ClusterLedger, shipper: Shipper, *, member_timeout: float, deadline: float
    ) -> None:
        self.store = store
        self.ledger = ledger
        self.shipper = shipper
        self.member_timeout = member_timeout
        self.deadline = deadline
        self.leaving = False
        self.postgres_up = True
        self.backlog = 0
        self.conflicts = 0
        self.refused = ""  # why this member may not write to the ledger (a newer schema), if so
        self._failures = 0
        self._generation = -1  # the ledger generation this disk saw last (-1: not read yet)
        self._keeper: asyncio.Task[None] | None = None
        self._pass_started: float | None = None  # monotonic, while a pass runs
        self._peers: list[str] = []  # the members the ledger listed at the last heartbeat
        self._joined = False  # a heartbeat reached the ledger (so there is a membership to end)
        self._last_error = ""  # the code of the last failure logged, so a new cause is logged too
        self._skip_until = 0.0  # monotonic: a black-holed PostgreSQL costs one call deadline, not every pass

    @property
    def disabled_reason(self) -> str:
        """Return why AWS shipping is stopped, when this instance ships."""
        return self.refused or self.shipper.disabled_reason

    @property
    def last_error(self) -> str:
        """Return why this member's latest shipping calls failed (only the elected shipper makes any)."""
        return self.shipper.last_error if self.ledger.leader else ""

    async def join(self, now: float) -> None:
        """Announce this member at start, so the shipper waits for its hand-over from the first window on.

        Raises LedgerRefused (exit 2) when the ledger's schema is too new for this member.
        """
        if self._keeper is None:
            self._keeper = asyncio.create_task(self._keep_alive(), name="cluster-keep-alive")
        self.ledger.incarnation = await self.store.incarnation()
        try:
            await self._check_identity(now)
            await self._remember(await self.ledger.heartbeat(now, await self.store.handed_through()))
            self._joined = True
        except LedgerError as exc:
            self.postgres_up = False
            log.error(f"{describe(exc)} at start; hand-over will retry",
                      extra={"fields": {"error_type": exc.code, "error": exc.message}})  # fmt: skip

    async def _keep_alive(self) -> None:
        """Heartbeat, and renew the lease this member holds, a few times per member timeout, apart from the
        passes: a pass waiting on a slow AWS call must not look like a dead member (windows would close
        without its hand-over) nor lose the lease it ships under. A pass stuck for longer than a member
        timeout no longer renews the lease, so a wedged shipper still hands over to another member."""
        interval = max(0.1, self.member_timeout / 4)
        while True:
            await asyncio.sleep(interval)
            if self.refused or not self._joined:
                continue
            try:
                await self.ledger.heartbeat(
                    self.store.clock.now(), await self.store.handed_through(), leaving=self.leaving, beat=True
                )
                stuck = (
                    self._pass_started is not None
                    and time.monotonic() - self._pass_started > self.member_timeout
                )
                if not stuck:
                    await self.ledger.renew()
            except (LedgerError, LedgerRefused):
                pass  # the pass reports PostgreSQL's state; this only keeps what it has alive
            except Exception:  # never let the keep-alive die silently: the passes would still run
                log.exception("cluster keep-alive failed; retrying")

    async def _remember(self, peers: list[str]) -> None:
        # On this disk, so that after the ledger is lost the rebuild waits for the members it had.
        if peers != self._peers:
            await self.store.remember_cluster_peers(peers)
            self._peers = peers

    async def close(self) -> None:
        """Announce that this member leaves, then close the ledger's connections.

        Called at shutdown after the final pass: the shipper then freezes windows without waiting a member
        timeout for this member's hand-over. A restart's first heartbeat makes it a member again.
        """
        self.leaving = True
        if self._keeper is not None:
            self._keeper.cancel()
            self._keeper = None
        if self._joined and self.postgres_up and not self.refused:
            try:
                await self.ledger.heartbeat(
                    self.store.clock.now(), await self.store.handed_through(), leaving=True
                )
            except (LedgerError, LedgerRefused) as exc:
                log.warning("could not announce that this member leaves; the shipper waits a member timeout",
                            extra={"fields": {"error": str(exc)}})  # fmt: skip
        await self.ledger.close()

    async def ship_due(self, now: float, result: PassResult, *, retry_now: bool = False) -> None:
        """Hand over, heartbeat, lead if elected, and bring the cluster's verdicts back.

        ``retry_now`` (the Flush RPC): the elected shipper also sends records waiting out a backoff; on any
        other member it only hands over (the shipper ships at its next pass).
        """
        expired = await self.store.expire(now)  # never handed over before the maximum age
        if expired:
            log.error(
                "records expired before they could be handed over",
                extra={"fields": {"records": len(expired)}},
            )
            result.dead += len(expired)
        if not self.refused and time.monotonic() >= self._skip_until:
            await self._guarded_pass(now, result, retry_now)
        self.backlog = await self.store.count_to_hand_over()

    async def _guarded_pass(self, now: float, result: PassResult, retry_now: bool) -> None:
        try:
            if not self.ledger.incarnation:
                self.ledger.incarnation = await self.store.incarnation()
            await self._pass(now, result, retry_now)
            self._joined = True
            if not self.postgres_up:
                log.info("PostgreSQL reachable again; hand-over resumed")
            self.postgres_up = True
            self._failures = 0
            self._last_error = ""
        except LedgerRefused as exc:
            self.refused = str(exc)
            self.postgres_up = False
            log.critical("ALARM: this member stopped handing over: %s", exc)
        except LedgerError as exc:
            if self.postgres_up or exc.code != self._last_error:
                log.error(f"{describe(exc)}: ingest and local sealing go on, hand-over will retry",
                          extra={"fields": {"error_type": exc.code, "error": exc.message}})  # fmt: skip
            self._last_error = exc.code
            self.postgres_up = False
            if exc.code == "PostgresTimeout":
                # Only an unanswering server costs a whole call deadline per try: back off from it.
                # Fast failures (refused, reset) retry every pass, the final pass at shutdown included.
                self._failures += 1
                self._skip_until = time.monotonic() + min(BREAKER_CAP_SECONDS, 0.25 * 2**self._failures)

    async def _check_identity(self, now: float) -> None:
        """Offer everything again when the ledger is not the one this database handed over to."""
        identity = await self.ledger.current_identity()
        seen = await self.store.ledger_seen()
        generation = self.ledger.generation
        if seen is None:
            await self.store.adopt_ledger(identity)
        elif seen == identity and generation < await self._generation_seen():
            # The same ledger, but it went back in time (restored from an old backup, failed over without
            # the latest writes): records it froze since are gone. A new epoch makes every member offer its
            # records again, so the lost windows are rebuilt identically and nothing rolls into them.
            identity = await self.ledger.report_loss(
                new_epoch=True, peers=await self.store.cluster_peers(), hold=self.deadline
            )
            handed, billed = await self.store.reoffer_all(identity, now)
            log.error(
                "ALARM: the cluster ledger went back in time (restored from an old backup?); offering this "
                "instance's records again so the lost windows are rebuilt identically",
                extra={"fields": {"generation": generation, "generation_seen": self._generation,
                                  "handed_again": handed, "billed_offered_again": billed}},
            )  # fmt: skip
        elif seen != identity:
            # A new ledger (recreated, restored, failed over without the latest writes) or one that lost
            # history: hold its freezing while every member offers its records again.
            identity = await self.ledger.report_loss(
                new_epoch=False, peers=await self.store.cluster_peers(), hold=self.deadline
            )
            handed, billed = await self.store.reoffer_all(identity, now)
            log.error(
                "ALARM: the cluster ledger is not the one this instance handed over to (lost, recreated or "
                "restored); offering its records again so the windows are rebuilt identically",
                extra={"fields": {"handed_again": handed, "billed_offered_again": billed,
                                  "instance": self.ledger.instance_id}},
            )  # fmt: skip

    async def _pass(self, now: float, result: PassResult, retry_now: bool) -> None:
        self._pass_started = time.monotonic()
        try:
            await self._pass_steps(now, result, retry_now)
        finally:
            self._pass_started = None

    async def _generation_seen(self) -> int:
        if self._generation < 0:
            self._generation = await self.store.ledger_generation()
        return self._generation

    async def _remember_generation(self) -> None:
        # Only ever read back for a comparison within the same identity; a new identity starts over.
        if self.ledger.generation != self._generation:
            await self.store.remember_ledger_generation(self.ledger.generation)
            self._generation = self.ledger.generation

    async def _pass_steps(self, now: float, result: PassResult, retry_now: bool) -> None:
        await self._check_identity(now)
        await self._remember_generation()
        await self._hand_over_all(now)
        # Only windows handed over completely count as handed over: the shipper freezes by this.
        await self._remember(
            await self.ledger.heartbeat(
                now, await self.store.handed_through(), leaving=self.leaving, offered=True
            )
        )
        if await self.ledger.try_lead():
            frozen = await self.ledger.freeze(now, member_timeout=self.member_timeout, deadline=self.deadline)
            result.sealed_records += frozen
            await self.shipper.ship_due(now, result, retry_now=retry_now)
        else:
            self.shipper.failures.clear()  # another member ships: what this one's calls met is history
        await self._collect_verdicts(now)

    async def _hand_over_all(self, now: float) -> None:
        after = 0
        while True:
            contributions = await self.store.to_hand_over(limit=BATCH, after_id=after)
            if not contributions:
                return
            handed, conflicting = await self.ledger.hand_over(contributions)
            await self.store.mark_handed(handed, self.ledger.contributor)
            if conflicting:
                self.conflicts += len(conflicting)
                log.error(
                    "ALARM: the shared ledger holds other content for this database's contribution (was the "
                    "database copied?); the local records are dead letters",
                    extra={"fields": {"records": len(conflicting), "instance": self.ledger.instance_id,
                                      "incarnation": self.ledger.incarnation}},
                )  # fmt: skip
                await self.store.apply([RecordOutcome(i, Outcome.DEAD, reason="handover-conflict",
                                                      message="the ledger holds other content") for i in conflicting], now)  # fmt: skip
            after = contributions[-1].record_id
            if len(contributions) < BATCH:
                return

    async def _collect_verdicts(self, now: float) -> None:
        handed = await self.store.handed()
        for start in range(0, len(handed), BATCH):
            verdicts = await self.ledger.verdicts(handed[start : start + BATCH])
            await self.store.remember_contributor(verdicts.found)
            if verdicts.settled:
                await self.store.settle(verdicts.settled, now)
            if verdicts.missing:
                await self.store.reoffer_missing(verdicts.missing)
                # A new epoch makes every member offer its recent records again (this one included), or
                # rebuilt windows would differ from what AWS holds.
                identity = await self.ledger.report_loss(
                    new_epoch=True, peers=await self.store.cluster_peers(), hold=self.deadline
                )
                await self.store.reoffer_all(identity, now)
                log.error(
                    "ALARM: records this instance handed over are missing from the cluster ledger (restored "
                    "from an old backup?); offering them again",
                    extra={"fields": {"records": len(verdicts.missing), "instance": self.ledger.instance_id}},
                )  # fmt: skip

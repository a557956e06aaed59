"""Cluster mode's flusher step: hand sealed totals over to PostgreSQL, and, on the elected instance,
freeze cluster totals and ship them with the same shipper as single mode."""

from __future__ import annotations

import logging

from sidecar.cluster._ledger import ClusterLedger
from sidecar.errors import RemoteError
from sidecar.model import Outcome, PassResult, RecordOutcome
from sidecar.shipping import Shipper
from sidecar.store import Store

log = logging.getLogger("sidecar.cluster")


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

    @property
    def disabled_reason(self) -> str:
        """Return why AWS shipping is stopped, when this instance ships."""
        return self.shipper.disabled_reason

    async def join(self, now: float) -> None:
        """Announce this member at start, so the shipper waits for its hand-over from the first window on."""
        try:
            await self.ledger.heartbeat(now, self.store.watermark)
        except RemoteError as exc:
            self.postgres_up = False
            log.error(
                "PostgreSQL unreachable at start; hand-over will retry",
                extra={"fields": {"error": exc.message}},
            )

    async def ship_due(self, now: float, result: PassResult) -> None:
        """Hand over, heartbeat, lead if elected, and bring the cluster's verdicts back."""
        expired = await self.store.expire(now)  # never handed over before the maximum age
        if expired:
            log.error(
                "records expired before they could be handed over",
                extra={"fields": {"records": len(expired)}},
            )
            result.dead += len(expired)
        try:
            await self._pass(now, result)
            if not self.postgres_up:
                log.info("PostgreSQL reachable again; hand-over resumed")
            self.postgres_up = True
        except RemoteError as exc:
            if self.postgres_up:
                log.error("PostgreSQL unreachable: ingest and local sealing go on, hand-over will retry",
                          extra={"fields": {"error": exc.message}})  # fmt: skip
            self.postgres_up = False
        self.backlog = await self.store.count_to_hand_over()

    async def _pass(self, now: float, result: PassResult) -> None:
        contributions = await self.store.to_hand_over()
        if contributions:
            handed, conflicting = await self.ledger.hand_over(contributions)
            await self.store.mark_handed(handed)
            if conflicting:
                self.conflicts += len(conflicting)
                log.error(
                    "ALARM: the shared ledger holds other content for this instance's contribution (was the "
                    "instance id reused with a new disk?); the local records are dead letters",
                    extra={"fields": {"records": len(conflicting), "instance": self.ledger.instance_id}},
                )
                await self.store.apply([RecordOutcome(i, Outcome.DEAD, reason="handover-conflict",
                                                      message="the ledger holds other content") for i in conflicting], now)  # fmt: skip
        await self.ledger.heartbeat(now, self.store.watermark, leaving=self.leaving)
        if await self.ledger.try_lead():
            frozen = await self.ledger.freeze(now, member_timeout=self.member_timeout, deadline=self.deadline)
            result.sealed_records += frozen
            await self.shipper.ship_due(now, result)
        verdicts = await self.ledger.verdicts(await self.store.handed())
        if verdicts:
            await self.store.settle(verdicts, now)

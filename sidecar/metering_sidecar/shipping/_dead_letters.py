"""Dead letters: what operators do with usage that was not billed (list, retry while AWS still takes it,
discard with a reason), in either mode. The servicer and the CLI call this; it knows no gRPC."""

from __future__ import annotations

from typing import Protocol

from metering_sidecar.core import Clock, InvalidUsage, RecordView
from metering_sidecar.store import Contributor, RecordKey


class DeadLetterStore(Protocol):
    """The record ledger as dead-letter operations see it."""

    async def get_record(self, record_id: int) -> RecordView: ...

    async def list_dead_letters(
        self, *, include_discarded: bool, after_id: int, limit: int
    ) -> list[RecordView]: ...

    async def discard_dead_letter(self, record_id: int, reason: str, now: float) -> None: ...

    async def retry_dead_letter(self, record_id: int, now: float) -> None: ...

    async def contributor_of(self, record_id: int) -> Contributor | None: ...


class ClusterRetry(Protocol):
    """Cluster mode: re-open the cluster's record that holds a local contribution."""

    async def retry(self, key: RecordKey, now: float, contributor: Contributor | None = None) -> None: ...


class DeadLetters:
    """List, retry and discard dead letters; in cluster mode a retry re-opens the cluster's record too."""

    def __init__(self, store: DeadLetterStore, clock: Clock, cluster: ClusterRetry | None = None) -> None:
        self.store = store
        self.clock = clock
        self.cluster = cluster

    async def list(self, *, include_discarded: bool, after_id: int, limit: int) -> list[RecordView]:
        """Return dead letters in id order after ``after_id``."""
        return await self.store.list_dead_letters(
            include_discarded=include_discarded, after_id=after_id, limit=limit
        )

    async def discard(self, record_id: int, reason: str) -> RecordView:
        """Close a dead letter with the operator's reason; return it."""
        if not reason.strip():
            raise InvalidUsage("reason", "is required: say why this usage will not be billed")
        await self.store.discard_dead_letter(record_id, reason.strip(), self.clock.now())
        return await self.store.get_record(record_id)

    async def retry(self, record_id: int) -> RecordView:
        """Send a dead letter again while AWS would still accept it; return it."""
        now = self.clock.now()
        if self.cluster is not None:
            # The cluster's record is what AWS refused: it must be retried there, under the name the
            # local record was handed over as.
            view = await self.store.get_record(record_id)
            if view.state == "dead" and view.reason != "handover-conflict":
                key = (view.product_code, view.license_arn, view.customer_field, view.customer, view.dimension,
                       int(view.window_start))  # fmt: skip
                await self.cluster.retry(key, now, await self.store.contributor_of(record_id))
        await self.store.retry_dead_letter(record_id, now)
        return await self.store.get_record(record_id)

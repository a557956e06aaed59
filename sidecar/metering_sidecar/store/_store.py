"""The Store facade: builds the parts, opens and closes them in order, and keeps the old call sites.

Each part receives what it needs in its constructor and no part inherits from another (STYLE:
compose, don't mix in). New code should take the narrow part it needs (``store.ledger`` as the
shipper's RecordLedger, ``store.customers`` as onboarding's CustomerRegistry); the methods here are
the parts' own bound methods, so a call through the facade is the same call.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import aiosqlite

from metering_sidecar.core import Clock, Status
from metering_sidecar.store._azure_subscriptions import AzureSubscriptions
from metering_sidecar.store._backlog import Backlog
from metering_sidecar.store._by_marketplace import ByMarketplace
from metering_sidecar.store._customers import Customers
from metering_sidecar.store._database import Database
from metering_sidecar.store._handover import Handover
from metering_sidecar.store._ingest import Ingest
from metering_sidecar.store._ledger import Ledger
from metering_sidecar.store._operator import OperatorQueries
from metering_sidecar.store._sealing import Sealing
from metering_sidecar.store._settings import StoreSettings, targets_for
from metering_sidecar.targets import TargetRegistry


class Store:
    """SQLite-backed event buffer and record ledger; use ``async with`` or open()/close()."""

    def __init__(
        self, path: str | Path, settings: StoreSettings, clock: Clock, targets: TargetRegistry | None = None
    ) -> None:
        self.path = str(path)
        self.settings = settings
        self.clock = clock
        # Each marketplace's encoder, limits and maximum age (None: the defaults, AWS's age from settings).
        self.targets = targets_for(settings, targets)
        self.database = Database(self.path, max_db_bytes=settings.max_db_bytes)
        self.backlog = Backlog(self.database, settings.max_pending_events)
        self.sealing = Sealing(self.database, self.backlog, settings, clock, self.targets)
        self.ingest = Ingest(
            self.database, self.backlog, self.sealing, settings.window_seconds, clock,
            commit_delay=settings.commit_delay,
        )  # fmt: skip
        self.ledger = Ledger(self.database, self.backlog, settings)
        self.customers = Customers(self.database)
        self.azure_subscriptions = AzureSubscriptions(self.database)
        self.handover = Handover(self.database, self.ledger, self.sealing)
        self.operator = OperatorQueries(self.database, self.backlog, settings, self.targets)
        self.by_marketplace = ByMarketplace(self.database)
        # The store's public calls from before it was split: each is the owning part's own bound method,
        # so existing call sites and tests keep working and a call through the facade is the same call.
        self.probe = self.database.probe
        self.has_room = self.database.has_room
        self.set_max_db_bytes = self.database.set_max_db_bytes
        self.append = self.ingest.append
        self.append_rows = self.ingest.append_rows
        self.seal = self.sealing.seal
        self.watermark_for = self.sealing.watermark_for
        self.due_records = self.ledger.due_records
        self.expire = self.ledger.expire
        self.apply = self.ledger.apply
        self.prune = self.ledger.prune
        self.unsettled_records = self.ledger.unsettled_records
        self.marketplaces_of = self.ledger.marketplaces_of
        self.last_mode = self.ledger.last_mode
        self.set_mode = self.ledger.set_mode
        self.customer_for_token = self.customers.customer_for_token
        self.bind_customer = self.customers.bind_customer
        self.list_customers = self.customers.list_customers
        self.list_records = self.operator.list_records
        self.get_record = self.operator.get_record
        self.list_dead_letters = self.operator.list_dead_letters
        self.discard_dead_letter = self.operator.discard_dead_letter
        self.retry_dead_letter = self.operator.retry_dead_letter
        self.incarnation = self.handover.incarnation
        self.ledger_seen = self.handover.ledger_seen
        self.adopt_ledger = self.handover.adopt_ledger
        self.ledger_generation = self.handover.ledger_generation
        self.remember_ledger_generation = self.handover.remember_ledger_generation
        self.cluster_peers = self.handover.cluster_peers
        self.remember_cluster_peers = self.handover.remember_cluster_peers
        self.reoffer_all = self.handover.reoffer_all
        self.reoffer_missing = self.handover.reoffer_missing
        self.to_hand_over = self.handover.to_hand_over
        self.count_to_hand_over = self.handover.count_to_hand_over
        self.handed_through = self.handover.handed_through
        self.mark_handed = self.handover.mark_handed
        self.handed = self.handover.handed
        self.contributor_of = self.handover.contributor_of
        self.remember_contributor = self.handover.remember_contributor
        self.settle = self.handover.settle

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Lock, open, check, migrate and load the database; refuse a damaged file without touching it."""
        await self.database.open(self.sealing.load, self.backlog.load)

    async def close(self) -> None:
        """Finish queued appends and close the database; safe to call twice."""
        try:
            await self.ingest.drain()
        finally:
            await self.database.close()

    async def status(self) -> Status:
        """Return the counters GetStatus reports."""
        return await self.ledger.status(self.sealing.watermark)

    @property
    def db(self) -> aiosqlite.Connection:
        """Return the open connection."""
        return self.database.conn

    @property
    def healthy(self) -> bool:
        """Return whether the last write succeeded."""
        return self.database.healthy

    @property
    def last_error(self) -> str:
        """Return why the last write failed ('' when healthy)."""
        return self.database.last_error

    @property
    def created(self) -> bool:
        """Return whether open() created the database."""
        return self.database.created

    @property
    def watermark(self) -> int:
        """Return the start of the earliest window not yet sealed (every earlier one is sealed)."""
        return self.sealing.watermark

    @property
    def pending_events(self) -> int:
        """Return the in-memory count of acknowledged, unsettled events (used for the buffer cap)."""
        return self.backlog.count

    @property
    def ingest_commits(self) -> int:
        """Return how many group commits ingest has made."""
        return self.ingest.commits

    @property
    def expiry_after(self) -> float:
        """Return how long after its timestamp an AWS record is dead-lettered as expired."""
        return self.settings.expiry_after

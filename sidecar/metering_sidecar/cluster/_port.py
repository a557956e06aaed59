"""The port cluster mode sits behind: what the shared ledger must do, whatever holds it.

PostgreSQL (``_ledger.PostgresLedger``) is the implementation today. A second backend (another SQL
database, a consensus store) is a new module implementing this Protocol, wired in ``_app``; the
hand-over step (``_shipping.ClusterShipping``), the shipper (through ``RecordLedger``), dead-letter
retries and customer bindings only see this.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Protocol

from metering_sidecar.core import Record, RecordOutcome
from metering_sidecar.store import Contribution, Contributor, Handed, RecordKey

if TYPE_CHECKING:
    from metering_sidecar.cluster._pg_handover import Verdicts


class ClusterLedger(Protocol):
    """The shared ledger: membership, hand-over, a fenced shipper lease, freezing, verdicts, retries."""

    instance_id: str
    incarnation: str
    generation: int
    leader: bool

    @property
    def contributor(self) -> Contributor:
        """Return who this instance hands over as: (instance id, incarnation)."""

    async def close(self) -> None:
        """Release connections and the lease; safe to call twice."""

    # membership and hand-over
    async def heartbeat(
        self,
        now: float,
        handed_through: int,
        *,
        leaving: bool = False,
        offered: bool = False,
        beat: bool = False,
    ) -> list[str]:
        """Say this member is alive and has handed over everything before ``handed_through``."""

    async def hand_over(self, contributions: Sequence[Contribution]) -> tuple[list[int], list[int]]:
        """Store contributions idempotently; return (record ids handed, ids whose stored content differs)."""

    async def verdicts(self, handed: Sequence[Handed]) -> Verdicts:
        """Return what the cluster decided for handed records (and which the ledger no longer holds)."""

    async def current_identity(self) -> str:
        """Return the ledger's identity (and read its generation): a change means the ledger was lost."""

    async def report_loss(self, *, new_epoch: bool, peers: Sequence[str] = (), hold: float = 0.0) -> str:
        """Record that the ledger lost what members handed over; freezing waits for them to offer it again."""

    async def retry(self, key: RecordKey, now: float, contributor: Contributor | None = None) -> None:
        """Re-open the cluster record holding this contribution (an operator's dead-letter retry)."""

    # the elected shipper
    async def try_lead(self) -> bool:
        """Take or keep the shipper lease (with a new fencing token when taken)."""

    async def renew(self) -> bool:
        """Extend the lease while this member holds it."""

    async def freeze(self, now: float, *, member_timeout: float, deadline: float) -> int:
        """Sum closed windows' contributions into frozen cluster records; return how many were frozen."""

    async def expire(self, now: float) -> list[int]:
        """Dead-letter cluster records about to pass the maximum age (fenced)."""

    async def due_records(
        self, now: float, limit: int = 10_000, *, exclude: Collection[str] = ()
    ) -> list[Record]:
        """Return frozen cluster records due for an attempt, none of the marketplaces in ``exclude``."""

    async def make_due(self, now: float, *, exclude: Collection[str] = ()) -> int:
        """Make cluster records waiting out a backoff due now (the Flush RPC; fenced); return how many."""

    async def apply(self, outcomes: Sequence[RecordOutcome], now: float) -> None:
        """Store one attempt's results (fenced: a shipper that lost its lease changes nothing)."""

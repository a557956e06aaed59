"""The Target port: what one marketplace owns, and the neutral types the store and the shipper see.

A target owns everything marketplace-specific: how a neutral record (key, window, summed tag groups)
becomes the frozen payload sent on every attempt, which records may share a call, sending one call,
and the verdict on each record. The store keeps quantities as integers in the target's units (AWS:
the quantity; Azure: micro-units) and the frozen payload as opaque text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from metering_sidecar.core import Outcome, Record, RemoteError

MAX_DETAIL = 160  # characters of a marketplace's error message quoted in GetStatus.shipping_error


def short_message(exc: RemoteError) -> str:
    """Return the error's message, cut to MAX_DETAIL characters."""
    return exc.message if len(exc.message) <= MAX_DETAIL else exc.message[:MAX_DETAIL] + "…"


class RecordKey(NamedTuple):
    """What makes a record unique, with its window (the store's key columns, in their order)."""

    product: str
    license_arn: str
    customer_field: str
    customer: str
    dimension: str
    window_start: int


@dataclass(frozen=True, slots=True)
class TagGroup:
    """Usage of one key and window that carries one tag set ('' means untagged)."""

    tags_json: str
    quantity: int
    first_event_ms: int
    events: int


@dataclass(frozen=True, slots=True)
class BuiltRecord:
    """A record ready to insert; a record that is not ``sendable`` is kept but never sent."""

    request_json: str
    timestamp_s: int
    quantity: int
    first_event_ms: int
    events: int
    folded_tag_sets: int
    sendable: bool = True


@dataclass(frozen=True, slots=True)
class Call:
    """One marketplace call: records its target planned to send together."""

    records: Sequence[Record]


@dataclass(frozen=True, slots=True)
class Verdict:
    """A target's verdict on one record of a call: billed, retry (the shipper picks when) or dead."""

    record: Record
    outcome: Outcome
    reference: str = ""  # the marketplace's id for a billed record
    reason: str = ""  # why it is dead
    message: str = ""


@dataclass(frozen=True, slots=True)
class CallResult:
    """A call's verdicts, and what the call says about the marketplace.

    ``stop``: non-empty means stop shipping to this marketplace for a while, for that reason.
    ``unreachable``: no answer at all; the rest of this pass for this marketplace would wait the same.
    ``answered``: the marketplace answered (a previous stop may be over).
    ``throttled``: the marketplace refused the whole call as too fast (its pace slows down).
    ``unmatched``: answers for records the call did not send, as (status, echoed record).
    ``failure``: non-empty when the whole call failed for a reason that is not its records' content (no
    credentials, no answer, a server error, throttling past the retries): what an operator reads and should do,
    never a secret. The shipper shows it in ``GetStatus.shipping_error`` until the marketplace answers again.
    """

    verdicts: Sequence[Verdict]
    stop: str = ""
    unreachable: bool = False
    answered: bool = False
    unmatched: Sequence[tuple[str, Mapping[str, Any]]] = ()
    throttled: bool = False
    failure: str = ""

    def __add__(self, other: CallResult) -> CallResult:
        """Combine the results of two halves of a split call."""
        return CallResult(
            [*self.verdicts, *other.verdicts],
            stop=self.stop or other.stop,
            unreachable=self.unreachable or other.unreachable,
            answered=self.answered or other.answered,
            unmatched=[*self.unmatched, *other.unmatched],
            throttled=self.throttled or other.throttled,
            failure=other.failure or self.failure,
        )


class Target(Protocol):
    """One marketplace's rules. Encoding and planning are pure; ``attempt`` uses the injected adapter."""

    @property
    def marketplace(self) -> str:
        """The marketplace's name in the store ("aws", "azure")."""
        ...

    @property
    def customer_fields(self) -> frozenset[str]:
        """The store's ``customer_field`` values that belong to this marketplace."""
        ...

    @property
    def quantity_scale(self) -> int:
        """Decimal places kept: the store holds ``quantity * 10**scale`` as an integer."""
        ...

    @property
    def max_record_units(self) -> int:
        """The most a record may sum (in store units); the events that pass it roll forward."""
        ...

    @property
    def max_record_age(self) -> float:
        """Seconds after its timestamp that the marketplace still accepts a record."""
        ...

    @property
    def conflict_reason(self) -> str:
        """The dead-letter reason that means "the marketplace holds another record for this key and hour"."""
        ...

    def encode(self, key: RecordKey, groups: Sequence[TagGroup]) -> BuiltRecord:
        """Freeze one record from its key and summed tag groups (canonical bytes, the same every time)."""
        ...

    def groups_of(self, payload: str, quantity: int, first_ms: int, events: int) -> list[TagGroup]:
        """Recover the tag groups of a frozen payload (cluster mode merges and encodes them again)."""
        ...

    def plan_calls(self, records: Sequence[Record]) -> Iterator[Call]:
        """Cut due records into calls within the marketplace's limits."""
        ...

    async def attempt(self, call: Call, now: float) -> CallResult:
        """Send one call as frozen and judge every record of it; never raises for a remote failure."""
        ...


def not_configured(call: Call, reason: str) -> CallResult:
    """Return the result of a call a target cannot make without its adapter: stop, keep the records."""
    return CallResult([Verdict(r, Outcome.RETRY, message=reason) for r in call.records], stop=reason)


def canonical(value: Any) -> str:
    """Return the canonical JSON text of ``value``."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def tags_json(tags: Sequence[tuple[str, str]]) -> str:
    """Return the canonical text of a tag set ('' for none)."""
    return canonical(sorted(tags)) if tags else ""

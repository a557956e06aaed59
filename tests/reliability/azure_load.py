"""Load with Azure customers for the reliability scenarios: SaaS subscription ids with fractional
``quantity_decimal`` values, acknowledged totals kept as exact Decimals; optionally mixed with AWS events.
And what the emulated Azure billed, read back the same way."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb

from tests.reliability.load import Key, Load, key_of

RESOURCES = tuple(f"5c1b6b4e-0000-4000-8000-{n:012x}" for n in range(1, 6))
PLAN = "gold"
AZURE_DIMENSIONS = ("emails", "storage_gb")
# Fractions that floats get wrong when summed, whole numbers, and the sidecar's finest unit.
QUANTITIES = ("0.1", "0.2", "0.25", "1", "2.5", "3.333333", "0.000001", "7")

AzureKey = tuple[str, str]  # (resource id, dimension)
Totals = defaultdict[AzureKey, Decimal]  # exact units per (resource, dimension)


def totals() -> Totals:
    """Return empty exact totals."""
    return defaultdict(Decimal)


def azure_key(event: pb.UsageEvent) -> AzureKey:
    """Return (resource, dimension) of an Azure event."""
    return (event.azure_resource_id, event.dimension)


class AzureLoad(Load):
    """Concurrent clients sending Azure events; with ``aws_share`` > 0, that share of AWS events too.

    What was acknowledged is kept per marketplace: ``azure_acked`` (exact Decimals) and ``aws_acked``.
    """

    def __init__(self, target: str, seed: int, *, aws_share: float = 0.0) -> None:
        super().__init__(target, seed)
        self.aws_share = aws_share
        self.azure_acked = totals()
        self.aws_acked: Counter[Key] = Counter()

    def event(self, event_id: str) -> pb.UsageEvent:
        """Return a random Azure event (or, by ``aws_share``, an AWS one) with this id."""
        if self.aws_share and self.rng.random() < self.aws_share:
            return super().event(event_id)
        return pb.UsageEvent(
            event_id=event_id,
            azure_resource_id=self.rng.choice(RESOURCES),
            azure_plan_id=PLAN,
            dimension=self.rng.choice(AZURE_DIMENSIONS),
            quantity_decimal=self.rng.choice(QUANTITIES),
        )

    def tally(self, event: pb.UsageEvent) -> None:
        """Count an acknowledged event under its marketplace."""
        if event.azure_resource_id:
            self.azure_acked[azure_key(event)] += Decimal(event.quantity_decimal)
        else:
            self.aws_acked[key_of(event)] += event.quantity


def exact(quantity: Any) -> Decimal:
    """Return a quantity the emulated Azure holds (a JSON number, i.e. a double) as the decimal it stands for."""
    return Decimal(repr(quantity)) if isinstance(quantity, float) else Decimal(str(quantity))


def azure_billed(events: list[dict[str, Any]]) -> Totals:
    """Sum what the emulated Azure accepted per (resource, dimension), exactly."""
    billed = totals()
    for event in events:
        billed[(event["resource_id"], event["dimension"])] += exact(event["quantity"])
    return billed


def most_per_slot(events: list[dict[str, Any]], window: int) -> int:
    """Return the most accepted events of one (resource, dimension, window): Azure's hour rule says 1."""
    slots = Counter(
        (
            e["resource_id"],
            e["dimension"],
            int(dt.datetime.fromisoformat(e["effective_start_time"]).timestamp()) // window,
        )
        for e in events
    )
    return max(slots.values(), default=0)


def compare_exact(
    acked: Mapping[AzureKey, Decimal], billed: Mapping[AzureKey, Decimal]
) -> tuple[Decimal, Decimal]:
    """Return (lost, duplicated) units, exactly: acknowledged but not billed, billed but not acknowledged."""
    lost = duplicated = Decimal(0)
    for key in set(acked) | set(billed):
        difference = acked.get(key, Decimal(0)) - billed.get(key, Decimal(0))
        lost += max(Decimal(0), difference)
        duplicated += max(Decimal(0), -difference)
    return lost, duplicated

"""Split due records into BatchMeterUsage calls: one product, at most 25 records, under 1 MB (I6)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from metering_sidecar.core import Record
from metering_sidecar.targets._target import Call

MAX_RECORDS_PER_CALL = 25
# AWS's limit is 1 MB per request; keep headroom for the envelope and boto's serialisation.
MAX_CALL_BYTES = 900_000
_ENVELOPE_BYTES = 200


@dataclass(frozen=True, slots=True)
class AwsCall(Call):
    """One BatchMeterUsage call: ``product_code`` is None when the records carry a LicenseArn."""

    product_code: str | None = None


def product_code_of(records: Sequence[Record]) -> str | None:
    """Return the ProductCode of a call holding ``records`` (one product per call; None for licenses)."""
    first = records[0]
    return None if first.has_license else first.product_code


def _group_key(record: Record) -> tuple[str, bool, int]:
    # A license record whose product is unknown gets a call of its own: one product per call.
    return (record.product_code, record.has_license, 0 if record.product_code else record.id)


def plan_calls(records: Sequence[Record]) -> Iterator[AwsCall]:
    """Yield calls covering ``records``, each within AWS's limits."""
    groups: dict[tuple[str, bool, int], list[Record]] = {}
    for record in records:
        groups.setdefault(_group_key(record), []).append(record)
    for (product, has_license, _), members in groups.items():
        code = None if has_license else product
        batch: list[Record] = []
        size = _ENVELOPE_BYTES + len(product)
        for record in members:
            cost = len(record.request_json.encode()) + 2
            if batch and (len(batch) == MAX_RECORDS_PER_CALL or size + cost > MAX_CALL_BYTES):
                yield AwsCall(batch, code)
                batch, size = [], _ENVELOPE_BYTES + len(product)
            batch.append(record)
            size += cost
        if batch:
            yield AwsCall(batch, code)

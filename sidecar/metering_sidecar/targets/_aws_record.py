"""Build one frozen AWS UsageRecord per key and window from aggregated tag groups (pure functions).

The request JSON is canonical (sorted keys, no spaces, allocations in a fixed order), so a record
rebuilt from the same events is byte-identical, and the stored text is what goes to AWS every time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from metering_sidecar.targets._target import BuiltRecord, TagGroup, canonical

# AWS limits on a record's allocations (docs/aws-marketplace.md).
MAX_ALLOCATIONS = 2500
MAX_TAG_KEYS = 5
# Keep a record far enough under the 1 MB call limit that it always fits a call by itself.
MAX_RECORD_BYTES = 800_000


def build_record(
    *,
    customer_field: str,
    customer: str,
    dimension: str,
    license_arn: str,
    window_start: int,
    groups: Sequence[TagGroup],
) -> BuiltRecord:
    """Freeze one record: quantity is the sum, the stamp the earliest event but never before the window."""
    quantity = sum(g.quantity for g in groups)
    first_ms = min(g.first_event_ms for g in groups)
    timestamp_s = max(window_start, first_ms // 1000)
    request: dict[str, Any] = {
        customer_field: customer,
        "Dimension": dimension,
        "Quantity": quantity,
        "Timestamp": timestamp_s,
    }
    if license_arn:
        request["LicenseArn"] = license_arn
    allocations, folded = _allocations(groups)
    if allocations:
        request["UsageAllocations"] = allocations
    return BuiltRecord(
        request_json=canonical(request),
        timestamp_s=timestamp_s,
        quantity=quantity,
        first_event_ms=first_ms,
        events=sum(g.events for g in groups),
        folded_tag_sets=folded,
    )


def _allocations(groups: Sequence[TagGroup]) -> tuple[list[dict[str, Any]], int]:
    tagged = [g for g in groups if g.tags_json]
    if not tagged:
        return [], 0
    untagged = sum(g.quantity for g in groups if not g.tags_json)
    has_untagged = any(not g.tags_json for g in groups)
    # Biggest tag sets first, so the limits fold away the least usage; ties break on the tags.
    tagged.sort(key=lambda g: (-g.quantity, g.tags_json))
    kept: list[tuple[str, int]] = []
    keys: set[str] = set()
    size = 0
    folded = 0
    for group in tagged:
        pairs: list[list[str]] = json.loads(group.tags_json)
        group_keys = {k for k, _ in pairs}
        cost = len(group.tags_json) + 64
        if (
            len(kept) < MAX_ALLOCATIONS - 1
            and len(keys | group_keys) <= MAX_TAG_KEYS
            and size + cost <= MAX_RECORD_BYTES
        ):
            kept.append((group.tags_json, group.quantity))
            keys |= group_keys
            size += cost
        else:
            untagged += group.quantity
            has_untagged = True
            folded += 1
    kept.sort()
    allocations: list[dict[str, Any]] = [
        {"AllocatedUsageQuantity": q, "Tags": [{"Key": k, "Value": v} for k, v in json.loads(t)]}
        for t, q in kept
    ]
    if has_untagged:
        allocations.append({"AllocatedUsageQuantity": untagged})
    return allocations, folded


def groups_of(request_json: str, quantity: int, first_ms: int, events: int) -> list[TagGroup]:
    """Rebuild tag groups from a frozen request (its allocations): build_record's inverse."""
    request = json.loads(request_json)
    allocations = request.get("UsageAllocations")
    if not allocations:
        return [TagGroup("", quantity, first_ms, events)]
    groups = []
    for allocation in allocations:
        tags = sorted((t["Key"], t["Value"]) for t in allocation.get("Tags", []))
        groups.append(
            TagGroup(canonical(tags) if tags else "", allocation["AllocatedUsageQuantity"], first_ms, 0)
        )
    return groups

"""I7: every kind of bad input gets INVALID_ARGUMENT naming the field and rule, and nothing is stored."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from metering_sidecar._app import Sidecar
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc

from tests.conftest import START, SidecarFactory, db_rows, event, stamp

GOOD_ARN = "arn:aws:license-manager::123456789012:license:l-0123456789abcdef"

BAD: list[tuple[str, dict[str, Any], str]] = [
    ("no customer", {"customer_aws_account_id": ""}, "customer_aws_account_id: exactly one"),
    ("both customers", {"customer_identifier": "cust-1"}, "customer_aws_account_id: exactly one"),
    ("account not digits", {"customer_aws_account_id": "12ab"}, "customer_aws_account_id: must be digits"),
    ("account unicode digits", {"customer_aws_account_id": "١٢٣"}, "customer_aws_account_id: must be digits"),
    (
        "identifier too long",
        {"customer_aws_account_id": "", "customer_identifier": "c" * 256},
        "customer_identifier",
    ),
    ("bad license", {"license_arn": "arn:nope"}, "license_arn: must match"),
    ("license with newline", {"license_arn": GOOD_ARN + "\n"}, "license_arn: must match"),
    ("bad product", {"product_code": "bad code!"}, "product_code: must be"),
    ("empty dimension", {"dimension": ""}, "dimension: must be 1-255"),
    ("long dimension", {"dimension": "d" * 256}, "dimension: must be 1-255"),
    ("negative quantity", {"quantity": -1}, "quantity: must be between 0 and 2147483647"),
    ("huge quantity", {"quantity": 2_147_483_648}, "quantity: must be between 0 and 2147483647"),
    ("future", {"timestamp": stamp(START + 301)}, "timestamp: must be at most 300 s in the future"),
    ("too old", {"timestamp": stamp(START - 6 * 3600)}, "timestamp: must be younger"),
    ("six tags", {"tags": {f"k{i}": "v" for i in range(6)}}, "tags: at most 5 tags"),
    ("bad tag key", {"tags": {"bad>key": "v"}}, "tags: key"),
    ("non-ascii tag key", {"tags": {"tëam": "v"}}, "tags: key"),
    ("long tag key", {"tags": {"k" * 101: "v"}}, "tags: key"),
    ("empty tag value", {"tags": {"team": ""}}, "tags: value of 'team'"),
    ("bad tag value", {"tags": {"team": "a\nb"}}, "tags: value of 'team'"),
    ("long tag value", {"tags": {"team": "v" * 257}}, "tags: value of 'team'"),
    ("long event id", {"event_id": "e" * 129}, "event_id: must be at most 128"),
    ("control char id", {"event_id": "bad\x00id"}, "event_id: must be printable"),
]


@pytest.mark.parametrize(("fields", "message"), [(f, m) for _, f, m in BAD], ids=[n for n, _, _ in BAD])
async def test_bad_event_is_refused_and_not_stored(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, fields: dict[str, Any], message: str
) -> None:
    """Each rule: INVALID_ARGUMENT with field and rule in the message, alone and in a batch; nothing stored."""
    with pytest.raises(grpc.aio.AioRpcError) as single:
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(**fields)))
    assert single.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in (single.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as batch:
        await stub.RecordUsageBatch(
            pb.RecordUsageBatchRequest(events=[event(event_id="ok"), event(**fields)])
        )
    assert batch.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"events[1].{message}" in (batch.value.details() or "")
    assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM events") == [(0,)]


async def test_missing_event_is_invalid(sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub) -> None:
    """RecordUsage without an event names the missing field."""
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.RecordUsage(pb.RecordUsageRequest())
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "event: is required" in (info.value.details() or "")


async def test_product_is_required_without_default(make_sidecar: SidecarFactory) -> None:
    """Without --product-code, an event needs product_code or license_arn."""
    sidecar = await make_sidecar(product_code="")
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.RecordUsage(pb.RecordUsageRequest(event=event()))
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "product_code: is required" in (info.value.details() or "")
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="p", product_code="prod-x")))
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="l", license_arn=GOOD_ARN)))
    assert db_rows(sidecar.config.db, "SELECT event_id FROM events ORDER BY event_id") == [("l",), ("p",)]


async def test_tag_keys_outside_allow_list_are_refused(make_sidecar: SidecarFactory) -> None:
    """--allocation-tag-keys refuses other keys and accepts listed ones."""
    sidecar = await make_sidecar(allocation_tag_keys=("team", "env"))
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.RecordUsage(pb.RecordUsageRequest(event=event(tags={"team": "a", "owner": "b"})))
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "'owner' is not in --allocation-tag-keys" in (info.value.details() or "")
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(tags={"team": "a", "env": "prod"})))
    assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM events") == [(1,)]


async def test_edge_values_are_accepted(sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub) -> None:
    """The limits themselves are valid: quantity 0 and max, 5 tags, 255-char dimension, AWS's tag characters."""
    tags = {"a": "x", "b+ -=._:/@": "y", "c" * 100: "v" * 256, "d": "1", "e": "2"}
    edges: list[dict[str, Any]] = [
        {"quantity": 0},
        {"quantity": 2_147_483_647},
        {"tags": tags},
        {"dimension": "d" * 255},
        {"license_arn": GOOD_ARN},
        {"customer_aws_account_id": "", "customer_identifier": "legacy-customer"},
        {"timestamp": stamp(START + 299)},
    ]
    for i, fields in enumerate(edges):
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id=f"edge-{i}", **fields)))
    assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM events") == [(7,)]

"""The Python client package against a real in-process sidecar: ids, retries, deadlines, Batcher."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest
from metering_sidecar._app import Sidecar
from metering_sidecar.emulator import EmulatorServer
from metering_sidecar_client import AsyncBatcher, AsyncMeteringClient, Batcher, MeteringClient, Usage, plan

from tests.conftest import ACCOUNT, PRODUCT, SidecarFactory, db_rows
from tests.test_health import http_async
from tests.test_operations import metric


def usage(i: int, **fields: object) -> Usage:
    """Return a valid Usage."""
    values: dict[str, object] = {"dimension": "requests", "quantity": 1, "customer_aws_account_id": ACCOUNT}
    values.update(fields)
    return Usage(event_id=f"u-{i}", **values)  # type: ignore[arg-type]


async def test_event_id_is_made_once_and_reused(sidecar: Sidecar) -> None:
    """A Usage keeps its generated event_id, so sending it again is a duplicate, not new usage."""
    event = Usage(dimension="requests", quantity=2, customer_aws_account_id=ACCOUNT)
    with MeteringClient(sidecar.target) as client:
        first = await asyncio.to_thread(client.record, event)
        again = await asyncio.to_thread(client.record, event)
    assert first.event_id == again.event_id == event.event_id
    assert (first.duplicate, again.duplicate) == (False, True)
    assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM events") == [(1,)]


async def test_resource_exhausted_is_retried_then_raised(make_sidecar: SidecarFactory) -> None:
    """RESOURCE_EXHAUSTED is retried (3 attempts in stamina's test mode) with the same id, then raised."""
    sidecar = await make_sidecar(max_pending_events=1)
    with MeteringClient(sidecar.target) as client:
        await asyncio.to_thread(client.record, usage(1))
        with pytest.raises(grpc.RpcError) as info:
            await asyncio.to_thread(client.record, usage(2))
    assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    _, text = await http_async(sidecar, "/metrics")
    assert metric(text, 'metering_sidecar_events_received_total{result="exhausted"}') == 3


async def test_every_call_has_a_deadline(sidecar: Sidecar, emulator: EmulatorServer) -> None:
    """A slow answer hits the per-attempt deadline: DEADLINE_EXCEEDED, retried, then raised."""
    emulator.state.set_entitlements(
        [{"ProductCode": PRODUCT, "Dimension": "d", "CustomerAWSAccountId": ACCOUNT}]
    )
    emulator.state.update_faults({"delay_seconds": 1.0})
    with MeteringClient(sidecar.target, timeout=0.2) as client, pytest.raises(grpc.RpcError) as info:
        await asyncio.to_thread(client.get_entitlements, dimension="d")
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    emulator.state.update_faults({"delay_seconds": 0})
    with MeteringClient(sidecar.target) as client:
        answer = await asyncio.to_thread(
            client.check_entitlement, customer_aws_account_id=ACCOUNT, dimension="d"
        )
    assert answer.entitled


def test_plan_never_exceeds_the_message_limit() -> None:
    """Batches stay under the byte limit and 1000 events; an event too large alone is set aside."""
    events = [usage(i, tags={"k": "v" * 200}) for i in range(50)] + [usage(99, dimension="x" * 5000)]
    batches, too_large = plan(events, max_events=1000, max_bytes=2048)
    assert [u.event_id for u in too_large] == ["u-99"]
    assert sum(len(b) for b in batches) == 50
    for batch in batches:
        size = sum(u.to_proto().ByteSize() + 6 for u in batch) + 1024
        assert size <= 2048


async def test_batcher_respects_the_servers_size_limit(make_sidecar: SidecarFactory) -> None:
    """With the sidecar's limit at 8 KiB, a Batcher told so sends everything with no RESOURCE_EXHAUSTED."""
    sidecar = await make_sidecar(max_message_bytes=8192)
    with MeteringClient(sidecar.target) as client:
        batcher = Batcher(client, max_events=1000, max_message_bytes=8192, flush_interval=60)
        for i in range(120):
            batcher.add(usage(i, tags={"team": "t" * 200}))
        await asyncio.to_thread(batcher.close)
    assert batcher.sent == 120
    assert batcher.rejected == 0
    assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM events") == [(120,)]


async def test_batcher_reports_the_bad_event_and_resends_the_rest(sidecar: Sidecar) -> None:
    """On INVALID_ARGUMENT the event at the given index goes to on_rejected; the rest are stored."""
    rejected: list[tuple[str, grpc.StatusCode, str]] = []
    with MeteringClient(sidecar.target) as client:
        batcher = Batcher(client, max_events=50, flush_interval=60,
                          on_rejected=lambda u, code, details: rejected.append((u.event_id, code, details)))  # fmt: skip
        for i in range(10):
            batcher.add(usage(i, quantity=-1) if i in (3, 7) else usage(i))
        await asyncio.to_thread(batcher.close)
    assert [(r[0], r[1]) for r in rejected] == [("u-3", grpc.StatusCode.INVALID_ARGUMENT),
                                               ("u-7", grpc.StatusCode.INVALID_ARGUMENT)]  # fmt: skip
    assert "quantity" in rejected[0][2]
    stored = {r[0] for r in db_rows(sidecar.config.db, "SELECT event_id FROM events")}
    assert stored == {f"u-{i}" for i in range(10)} - {"u-3", "u-7"}


async def test_batcher_flushes_by_time(sidecar: Sidecar) -> None:
    """Events wait at most flush_interval before they are sent."""
    with MeteringClient(sidecar.target) as client:
        batcher = Batcher(client, max_events=500, flush_interval=0.1)
        batcher.add(usage(1))
        for _ in range(50):
            await asyncio.sleep(0.05)
            if db_rows(sidecar.config.db, "SELECT COUNT(*) FROM events") == [(1,)]:
                break
        assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM events") == [(1,)]
        await asyncio.to_thread(batcher.close)


async def test_token_and_unix_socket(make_sidecar: SidecarFactory, tmp_path: Path) -> None:
    """The client connects over unix:// and sends the bearer token from a file."""
    token = tmp_path / "token"
    token.write_text("client-token\n")
    sock = tmp_path / "s.sock"
    sidecar = await make_sidecar(listen=f"unix://{sock}", api_token_file=str(token))
    with MeteringClient(f"unix://{sock}", token_file=str(token)) as client:
        assert (await asyncio.to_thread(client.record, usage(1))).event_id == "u-1"
    with MeteringClient(f"unix://{sock}") as anonymous, pytest.raises(grpc.RpcError) as info:
        await asyncio.to_thread(anonymous.record, usage(2))
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM events") == [(1,)]


async def test_async_client_and_batcher(sidecar: Sidecar) -> None:
    """AsyncMeteringClient and AsyncBatcher record, batch and flush on close."""
    async with AsyncMeteringClient(sidecar.target) as client:
        answer = await client.record_usage("requests", 4, customer_aws_account_id=ACCOUNT, tags={"team": "a"})
        assert answer.event_id
        batch = await client.record_batch([usage(i) for i in range(5)])
        assert batch.accepted == 5
        async with AsyncBatcher(client, max_events=3, flush_interval=60) as batcher:
            for i in range(10, 17):
                await batcher.add(usage(i))
        assert batcher.sent == 7
        status = await client.status()
    assert status.pending_events == 13


async def test_azure_fields_and_decimal_quantities_reach_the_sidecar(sidecar: Sidecar) -> None:
    """Usage carries quantity_decimal and the Azure fields on the wire (this sidecar has no Azure)."""
    async with AsyncMeteringClient(sidecar.target) as client:
        await client.record_usage("requests", customer_aws_account_id=ACCOUNT, quantity_decimal="7")
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await client.record_usage(
                "gb", azure_resource_id="sub-1", azure_plan_id="pro", quantity_decimal="0.5"
            )
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "Azure Marketplace is not configured" in (info.value.details() or "")
    assert db_rows(sidecar.config.db, "SELECT quantity FROM events") == [(7,)]

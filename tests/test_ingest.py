"""Ingest over a real grpc.aio server: durable ack (I1), idempotency (I8), group commit, caps (I7)."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from metering_sidecar._app import Sidecar
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc

from tests.conftest import START, SidecarFactory, db_rows, event, stamp


async def test_ok_means_committed_on_disk(sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub) -> None:
    """I1: once RecordUsage returns OK, another connection sees the event in the file."""
    answer = await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="e-1", quantity=7)))
    assert answer.event_id == "e-1"
    assert not answer.duplicate
    rows = db_rows(sidecar.config.db, "SELECT event_id, quantity FROM events")
    assert rows == [("e-1", 7)]


async def test_database_is_wal_with_full_sync(sidecar: Sidecar) -> None:
    """I1: the store commits in WAL mode with synchronous=FULL (2)."""
    db = sidecar.store.db
    assert (await (await db.execute("PRAGMA journal_mode")).fetchone()) == ("wal",)
    assert (await (await db.execute("PRAGMA synchronous")).fetchone()) == (2,)


async def test_concurrent_calls_share_commits(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub
) -> None:
    """Group commit: 200 concurrent calls are all durable with far fewer than 200 commits."""
    before = sidecar.store.ingest_commits
    calls = [stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id=f"c-{i}"))) for i in range(200)]
    await asyncio.gather(*calls)
    commits = sidecar.store.ingest_commits - before
    assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM events") == [(200,)]
    assert 1 <= commits < 200


async def test_commit_delay_setting_shares_commits_and_keeps_every_call_durable(
    make_sidecar: SidecarFactory,
) -> None:
    """--commit-delay-seconds reaches ingest; with it on, 200 concurrent calls are all durable, share commits,
    and a lone call after them is answered (it waits at most the delay)."""
    sidecar = await make_sidecar(commit_delay_seconds=0.1)
    assert sidecar.store.ingest._commit_delay == 0.1
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        before = sidecar.store.ingest_commits
        calls = [stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id=f"d-{i}"))) for i in range(200)]
        await asyncio.gather(*calls)
        assert 1 <= sidecar.store.ingest_commits - before < 200
        assert sidecar.store.ingest.delayed >= 1  # calls queued together: the writer waited for more
        lone = await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="lone")), timeout=30)
    assert not lone.duplicate
    assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM events") == [(201,)]


async def test_generated_event_id_is_echoed(sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub) -> None:
    """An empty event_id gets a generated one, returned to the caller and stored."""
    answer = await stub.RecordUsage(pb.RecordUsageRequest(event=event()))
    assert len(answer.event_id) == 36
    assert db_rows(sidecar.config.db, "SELECT event_id FROM events") == [(answer.event_id,)]


async def test_same_id_same_content_counts_once(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub
) -> None:
    """I8: a repeat with the same content is OK with duplicate=true and stored once."""
    request = pb.RecordUsageRequest(event=event(event_id="dup", quantity=3, tags={"team": "a"}))
    first = await stub.RecordUsage(request)
    second = await stub.RecordUsage(request)
    assert (first.duplicate, second.duplicate) == (False, True)
    status = await stub.GetStatus(pb.GetStatusRequest())
    assert status.pending_events == 1


async def test_an_event_first_sent_in_a_batch_is_the_same_event_sent_alone(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub
) -> None:
    """I8 across RPCs: a batch's fingerprints come from the batch's own encoding, a single event's from its
    own; an event with tags and a field this version does not know is a duplicate either way round, and
    other content under its id is ALREADY_EXISTS."""
    tagged = event(event_id="both-ways", quantity=3, tags={"team": "a", "env": "prod", "cost-centre": "7"})
    tagged.MergeFromString(b"\x78\x01")  # field 15 = 1, unknown here
    plain = event(event_id="plain-both-ways", quantity=2)
    answer = await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=[plain, tagged]))
    assert (answer.accepted, answer.duplicates) == (2, 0)
    for sent in (tagged, plain):
        assert (await stub.RecordUsage(pb.RecordUsageRequest(event=sent))).duplicate
    answer = await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=[tagged, plain]))
    assert (answer.accepted, answer.duplicates) == (0, 2)
    changed = pb.UsageEvent()
    changed.CopyFrom(tagged)
    changed.tags["env"] = "dev"
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.RecordUsage(pb.RecordUsageRequest(event=changed))
    assert info.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert (await stub.GetStatus(pb.GetStatusRequest())).pending_events == 2


async def test_a_common_event_stored_derived_is_one_event_whichever_way_it_comes_again(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub
) -> None:
    """I8 for events of the four common fields alone, which are stored with the fingerprint DERIVED (computed
    from the row only when an id comes again): a repeat by batch or alone is a duplicate; other content
    under the id (another quantity, dimension or account, or a timestamp added) is ALREADY_EXISTS, by
    batch or alone, and changes nothing."""
    events = [event(event_id=f"c-{n}", quantity=n + 1) for n in range(3)]
    answer = await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=events))
    assert (answer.accepted, answer.duplicates) == (3, 0)
    assert db_rows(sidecar.config.db, "SELECT DISTINCT fingerprint FROM events") == [("=",)]
    assert (await stub.RecordUsage(pb.RecordUsageRequest(event=events[1]))).duplicate
    answer = await stub.RecordUsageBatch(
        pb.RecordUsageBatchRequest(events=[event(event_id="c-new"), *events])
    )
    assert (answer.accepted, answer.duplicates) == (1, 3)
    others = [
        event(event_id="c-0", quantity=2),
        event(event_id="c-0", quantity=1, dimension="storage"),
        event(event_id="c-0", quantity=1, customer_aws_account_id="999999999999"),
        event(event_id="c-0", quantity=1, timestamp=stamp(START - 60)),
    ]
    for other in others:
        for call in (
            stub.RecordUsage(pb.RecordUsageRequest(event=other)),
            stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=[event(event_id="c-other"), other])),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await call
            assert info.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert db_rows(sidecar.config.db, "SELECT event_id, quantity FROM events ORDER BY seq") == [
        ("c-0", 1), ("c-1", 2), ("c-2", 3), ("c-new", 1)
    ]  # fmt: skip


async def test_retry_without_timestamp_is_the_same_event(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub, clock: object
) -> None:
    """I8: an unset timestamp stays unset in the fingerprint, so a later retry is still a duplicate."""
    request = pb.RecordUsageRequest(event=event(event_id="no-ts"))
    await stub.RecordUsage(request)
    sidecar.clock.advance(120)  # type: ignore[attr-defined]
    assert (await stub.RecordUsage(request)).duplicate


async def test_same_id_other_content_is_already_exists(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub
) -> None:
    """I8: the same id with different content gets ALREADY_EXISTS and changes nothing."""
    await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="x", quantity=1)))
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="x", quantity=2)))
    assert info.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "x" in (info.value.details() or "")
    assert db_rows(sidecar.config.db, "SELECT quantity FROM events") == [(1,)]


async def test_batch_counts_new_and_duplicates(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub
) -> None:
    """RecordUsageBatch: accepted counts new events only; repeats inside and across batches are duplicates."""
    events = [event(event_id=f"b-{i}") for i in range(10)]
    first = await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=events))
    assert (first.accepted, first.duplicates) == (10, 0)
    again = await stub.RecordUsageBatch(
        pb.RecordUsageBatchRequest(events=[*events[:4], event(event_id="b-new")])
    )
    assert (again.accepted, again.duplicates) == (1, 4)
    inside = await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=[event(event_id="z")] * 3))
    assert (inside.accepted, inside.duplicates) == (1, 2)
    assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM events") == [(12,)]


async def test_batch_is_all_or_nothing(sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub) -> None:
    """A bad event at index 3 fails the batch with its index named, and nothing of it is stored."""
    events = [event(event_id=f"a-{i}") for i in range(5)]
    events[3] = event(event_id="a-3", quantity=-1)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=events))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "events[3].quantity" in (info.value.details() or "")
    assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM events") == [(0,)]


async def test_batch_with_conflicting_id_stores_nothing(
    sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub
) -> None:
    """A batch holding a known id with other content gets ALREADY_EXISTS and none of it is stored."""
    await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="k", quantity=1)))
    batch = [event(event_id="fresh-1"), event(event_id="k", quantity=9), event(event_id="fresh-2")]
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=batch))
    assert info.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "events[1]" in (info.value.details() or "")
    assert db_rows(sidecar.config.db, "SELECT event_id FROM events") == [("k",)]


async def test_batch_over_1000_is_refused(sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub) -> None:
    """A batch holds up to 1000 events; 1001 is INVALID_ARGUMENT and stores nothing."""
    ok = await stub.RecordUsageBatch(
        pb.RecordUsageBatchRequest(events=[event(event_id=f"m{i}") for i in range(1000)])
    )
    assert ok.accepted == 1000
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.RecordUsageBatch(
            pb.RecordUsageBatchRequest(events=[event(event_id=f"n{i}") for i in range(1001)])
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "at most 1000" in (info.value.details() or "")
    assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM events") == [(1000,)]


async def test_oversized_message_is_resource_exhausted(
    make_sidecar: SidecarFactory,
) -> None:
    """A request above --max-message-bytes gets RESOURCE_EXHAUSTED and the sidecar keeps serving."""
    sidecar = await make_sidecar(max_message_bytes=4096)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        big = [event(event_id=f"big-{i}", dimension="d" * 200) for i in range(100)]
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=big))
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert (await stub.RecordUsage(pb.RecordUsageRequest(event=event()))).event_id
    assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM events") == [(1,)]


async def test_buffer_cap_is_resource_exhausted(make_sidecar: SidecarFactory) -> None:
    """Past --max-pending-events ingest answers RESOURCE_EXHAUSTED, stores nothing, and keeps serving."""
    sidecar = await make_sidecar(max_pending_events=5)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await stub.RecordUsageBatch(
            pb.RecordUsageBatchRequest(events=[event(event_id=f"f{i}") for i in range(4)])
        )
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.RecordUsageBatch(
                pb.RecordUsageBatchRequest(events=[event(event_id=f"g{i}") for i in range(2)])
            )
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        # A pure repeat needs no room, and one more fits.
        assert (await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="f0")))).duplicate
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="g0")))
        assert (await stub.GetStatus(pb.GetStatusRequest())).pending_events == 5
    assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM events") == [(5,)]


async def test_full_disk_never_acks_without_commit(make_sidecar: SidecarFactory) -> None:
    """I1/I7: on a full disk every OK is on disk, failures are RESOURCE_EXHAUSTED, and it keeps serving."""
    sidecar = await make_sidecar(max_db_bytes=160 * 1024)
    acked: list[str] = []
    refusals: list[tuple[grpc.StatusCode, str]] = []
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        for i in range(400):
            batch = [event(event_id=f"full-{i}-{j}", dimension="x" * 200) for j in range(20)]
            try:
                await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=batch))
                acked += [e.event_id for e in batch]
            except grpc.aio.AioRpcError as exc:
                refusals.append((exc.code(), exc.details() or ""))
                if len(refusals) >= 3:
                    break
        assert len(refusals) == 3
        assert all(code == grpc.StatusCode.RESOURCE_EXHAUSTED for code, _ in refusals)
        assert all("disk full" in details for _, details in refusals)
        assert not sidecar.store.healthy
        status = await stub.GetStatus(pb.GetStatusRequest())
        assert status.pending_events == len(acked)
    stored = {r[0] for r in db_rows(sidecar.config.db, "SELECT event_id FROM events")}
    assert stored == set(acked)


async def test_timestamp_defaults_to_now(sidecar: Sidecar, stub: pb_grpc.MeteringSidecarAsyncStub) -> None:
    """An unset timestamp means the time of receipt."""
    await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="t")))
    await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="t2", timestamp=stamp(START - 30))))
    rows = db_rows(sidecar.config.db, "SELECT event_id, event_ms FROM events ORDER BY event_id")
    assert rows == [("t", int(START * 1000)), ("t2", int((START - 30) * 1000))]

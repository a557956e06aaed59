"""The flusher never dies (I11), never seals the future (I9), cannot be wedged by the database (I10), and
says so loudly when an answer matches nothing sent."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

import grpc
import pytest
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.core._clock import ManualClock
from metering_sidecar.core._errors import DatabaseLocked
from metering_sidecar.core._model import CustomerField, Outcome, RecordOutcome, ResolvedCustomer, UsageEvent
from metering_sidecar.emulator import EmulatorServer
from metering_sidecar.marketplace import BatchMeterUsageResult, EntitlementsPage, Marketplace, UsageRecord
from metering_sidecar.shipping import Backoff, Flusher, Shipper
from metering_sidecar.store import Store, StoreSettings
from metering_sidecar.targets import AZURE_FIELD, default_targets, micro_units

from tests.conftest import HOUR, START, SidecarFactory, advance_and_flush, boto_marketplace, db_rows, event
from tests.test_health import http_async

WINDOW = (int(START) // HOUR) * HOUR
NEXT = WINDOW + HOUR
SETTINGS = StoreSettings(window_seconds=HOUR, max_record_age=6 * HOUR, expiry_margin=900)


class BrokenThenHealed(Marketplace):
    """A marketplace with a bug for its first calls (an exception no adapter maps), then the real one."""

    def __init__(self, real: Marketplace, failures: int) -> None:
        self.real = real
        self.failures = failures
        self.calls = 0

    async def batch_meter_usage(
        self, *, product_code: str | None, records: Sequence[UsageRecord]
    ) -> BatchMeterUsageResult:
        """Fail with a plain RuntimeError ``failures`` times, then ship for real."""
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError("a bug nobody mapped")
        return await self.real.batch_meter_usage(product_code=product_code, records=records)

    async def resolve_customer(self, *, registration_token: str) -> ResolvedCustomer:
        """Delegate."""
        return await self.real.resolve_customer(registration_token=registration_token)

    async def get_entitlements(
        self, *, product_code: str, filters: Mapping[str, Sequence[str]], next_token: str, max_results: int
    ) -> EntitlementsPage:
        """Delegate."""
        return await self.real.get_entitlements(
            product_code=product_code, filters=filters, next_token=next_token, max_results=max_results
        )


async def test_a_pass_that_raises_is_counted_and_the_loops_go_on(
    tmp_path: Path, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """I11: an unmapped exception in shipping is logged, counted by type and retried; liveness holds."""
    from metering_sidecar import config as config_module
    from metering_sidecar._app import Sidecar

    marketplace = BrokenThenHealed(boto_marketplace(emulator.url), failures=3)
    cfg = config_module.from_mapping(
        {}, listen="127.0.0.1:0", health_listen="", metrics_listen="127.0.0.1:0", db=str(tmp_path / "f.db"),
        product_code="prod-x", flush_interval_seconds=0.02, max_backoff_seconds=0.0,
        metering_endpoint_url=emulator.url,
    )  # fmt: skip
    sidecar = Sidecar(cfg, clock=clock, marketplace=marketplace)
    await sidecar.start()
    try:
        clock.set(NEXT + 60)
        async with grpc.aio.insecure_channel(sidecar.target) as channel:
            stub = pb_grpc.MeteringSidecarStub(channel)
            await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="x", quantity=4)))
            clock.advance(HOUR)  # the loops seal and ship by themselves
            for _ in range(500):
                if emulator.state.billed():
                    break
                await asyncio.sleep(0.02)
        assert [r["quantity"] for r in emulator.state.billed()] == [4]
        failures = sidecar.metrics.registry.get_sample_value(
            "metering_sidecar_flush_pass_failures_total", {"loop": "shipping", "error_type": "RuntimeError"}
        )
        assert failures == 3
        assert (await http_async(sidecar, "/healthz/live"))[0] == 200
        assert sidecar.store.watermark == NEXT + HOUR
    finally:
        await sidecar.shutdown(grace=1)


async def test_shutdown_never_seals_a_window_that_starts_after_now(
    make_sidecar: SidecarFactory, clock: ManualClock
) -> None:
    """I9: usage rolled into the next window by a fresh start stays there through repeated shutdowns."""
    first = await make_sidecar()
    async with grpc.aio.insecure_channel(first.target) as channel:
        await pb_grpc.MeteringSidecarStub(channel).RecordUsage(
            pb.RecordUsageRequest(event=event(event_id="a"))
        )
    await first.shutdown(grace=0.5)
    for restart in range(3):
        clock.advance(60)
        sidecar = await make_sidecar()
        assert sidecar.store.watermark == NEXT  # the next window is still open
        async with grpc.aio.insecure_channel(sidecar.target) as channel:
            stub = pb_grpc.MeteringSidecarStub(channel)
            await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id=f"r{restart}")))
        await sidecar.shutdown(grace=0.5)
    assert db_rows(first.config.db, "SELECT COUNT(*) FROM records") == [(0,)]
    last = await make_sidecar()
    async with grpc.aio.insecure_channel(last.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await advance_and_flush(clock, stub, 2 * HOUR)  # the loops may get there first: check the state
    assert db_rows(last.config.db, "SELECT timestamp_s, quantity, state FROM records") == [
        (NEXT, 4, "billed")
    ]


async def test_sealing_goes_on_over_a_database_two_processes_wrote(tmp_path: Path) -> None:
    """I10: records above the watermark and events below it (two writers once) cannot wedge sealing."""
    path = tmp_path / "twice.db"
    clock = ManualClock(START)  # a fresh database: NEXT is the first open window
    async with Store(path, SETTINGS, clock) as store:
        await store.append([_event("a", NEXT + 100)])
        clock.set(NEXT + HOUR + 120)
        assert (await store.seal(clock.now(), 60)).records == 1
    with sqlite3.connect(path) as conn:  # what a second writer with a stale watermark leaves behind
        conn.execute("UPDATE meta SET value = ? WHERE key = 'watermark'", (str(NEXT),))
        conn.execute(
            "INSERT INTO events (event_id, fingerprint, product, license_arn, customer_field, customer, "
            "dimension, quantity, event_ms, window_start, tags, received_ms) SELECT 'stale', fingerprint, "
            "product, license_arn, customer_field, customer, dimension, 5, event_ms, ?, tags, received_ms "
            "FROM events WHERE event_id = 'a'",
            (NEXT - HOUR,),
        )
    async with Store(path, SETTINGS, clock) as store:
        await store.append([_event("b", NEXT + HOUR + 200)])
        clock.set(NEXT + 2 * HOUR + 120)
        sealed = await store.seal(clock.now(), 60)
        # 'stale' would collide with the record of its key at NEXT: it waits in the next open window.
        assert (sealed.records, sealed.rolled_forward) == (1, 1)
        assert store.watermark == NEXT + 2 * HOUR
        clock.set(NEXT + 3 * HOUR + 120)
        assert (await store.seal(clock.now(), 60)).records == 1
    rows = db_rows(path, "SELECT window_start, quantity FROM records ORDER BY window_start")
    assert rows == [(NEXT, 1), (NEXT + HOUR, 1), (NEXT + 2 * HOUR, 5)]
    assert db_rows(path, "SELECT COUNT(*) FROM events WHERE record_id IS NULL") == [(0,)]


async def test_a_second_store_on_one_file_is_refused(tmp_path: Path) -> None:
    """I10: the OS lock refuses a second opener and names the holder; it is free again after close."""
    path = tmp_path / "one.db"
    async with Store(path, SETTINGS, ManualClock(START)):
        with pytest.raises(DatabaseLocked, match=r"pid \d+ on host"):
            async with Store(path, SETTINGS, ManualClock(START)):
                pass
    async with Store(path, SETTINGS, ManualClock(START)) as again:
        assert again.watermark == NEXT


async def test_an_unmatched_result_is_logged_counted_and_retried(
    make_sidecar: SidecarFactory,
    clock: ManualClock,
    emulator: EmulatorServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An answer whose echoed record matches nothing sent is an ERROR and a metric; the record is resent."""
    sidecar = await make_sidecar()
    clock.set(NEXT + 60)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="u", quantity=3)))
        emulator.state.update_faults({"garble_echo_next": 1})
        with caplog.at_level(logging.ERROR, logger="sidecar.shipping"):
            first = await advance_and_flush(clock, stub, HOUR)
        assert (first.billed_records, first.retry_records) == (0, 1)
        second = await stub.Flush(pb.FlushRequest())
        assert second.billed_records == 1
    assert sidecar.metrics.registry.get_sample_value("metering_sidecar_unmatched_results_total") == 1
    [line] = [r for r in caplog.records if "did not send" in r.getMessage()]
    assert line.fields["echoed_record"]["Dimension"] == "requests-garbled"  # type: ignore[attr-defined]
    assert emulator.state.stats.identical_repeats == 1
    assert emulator.state.stats.duplicate_records == 0


def _event(event_id: str, at: float) -> UsageEvent:
    return UsageEvent(event_id, f"fp-{event_id}", "prod-x", "", CustomerField.ACCOUNT_ID, "111122223333",
                      "requests", 1, at)  # fmt: skip


def test_a_database_on_a_shared_filesystem_is_refused(tmp_path: Path) -> None:
    """I10: on NFS (as /proc/self/mountinfo tells) the lock cannot be trusted, so start-up says where to go."""
    from metering_sidecar.store._lock import DatabaseLock, filesystem_type

    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        f"99 22 0:51 / {tmp_path} rw,relatime shared:2 - nfs4 fs-1.efs.us-east-1.amazonaws.com:/ rw,vers=4.1\n"
    )
    assert filesystem_type(tmp_path / "sub", str(mountinfo)) == "nfs4"
    assert filesystem_type(Path("/"), str(mountinfo)) == "ext4"
    with pytest.raises(DatabaseLocked, match=r"nfs4 filesystem.*ReadWriteOnce"):
        DatabaseLock(str(tmp_path / "m.db"), mountinfo=str(mountinfo)).acquire()
    lock = DatabaseLock(str(tmp_path / "m.db"))  # the real mount table: a local disk
    lock.acquire()
    lock.release()


async def test_a_symlinked_database_shares_its_targets_lock(tmp_path: Path) -> None:
    """I10: two paths to one file are one database: the second opener is refused."""
    path = tmp_path / "real.db"
    link = tmp_path / "link.db"
    link.symlink_to(path)
    async with Store(path, SETTINGS, ManualClock(START)):
        with pytest.raises(DatabaseLocked):
            async with Store(link, SETTINGS, ManualClock(START)):
                pass


async def test_a_hard_linked_database_is_refused_and_the_holder_keeps_writing(tmp_path: Path) -> None:
    """I10: a hard link is another path (another .lock file) to the same file: refused on the file's own
    lock, in one process without opening a descriptor whose close would drop SQLite's locks."""
    path = tmp_path / "real.db"
    link = tmp_path / "hard.db"
    async with Store(path, SETTINGS, ManualClock(START)) as store:
        link.hardlink_to(path)
        with pytest.raises(DatabaseLocked, match=r"pid \d+ \(this process\) holds .*hard link"):
            async with Store(link, SETTINGS, ManualClock(START)):
                pass
        await store.append([_event("after-refusal", START + 1)])
    async with Store(link, SETTINGS, ManualClock(START)) as again:  # the holder gone, the link serves
        assert await again.database.scalar("SELECT COUNT(*) FROM events") == 1


async def test_run_raises_when_a_part_dies_on_its_own(make_sidecar: SidecarFactory) -> None:
    """Sidecar.run() returns after a shutdown, and raises (the process exits to be restarted) on a dead part."""
    from metering_sidecar.core import SidecarError

    sidecar = await make_sidecar()
    assert sidecar._flusher_task is not None
    sidecar._flusher_task.cancel()
    with pytest.raises(SidecarError, match="flusher stopped on its own"):
        await asyncio.wait_for(sidecar.run(), 30)
    assert sidecar.store.database._conn is None  # the parts were closed on the way out
    other = await make_sidecar(db=str(Path(sidecar.config.db).with_name("other.db")))
    running = asyncio.create_task(other.run())
    await other.shutdown(grace=0.5)
    await asyncio.wait_for(running, 30)  # a shutdown ends run() without an error


def azure_usage(event_id: str, at: float) -> UsageEvent:
    """An Azure event of one resource (2.5 units)."""
    return UsageEvent(event_id, f"fp-{event_id}", "gold", "", AZURE_FIELD, "resource-1", "emails",
                      micro_units("2.5"), at, marketplace="azure")  # fmt: skip


async def test_the_expiry_log_names_the_marketplaces_whose_records_expired(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An AWS and an Azure record pass their maximum ages unshipped: the error line counts them by
    marketplace, instead of saying AWS failed to confirm both."""
    clock = ManualClock(WINDOW + 60)
    async with Store(tmp_path / "expiry.db", SETTINGS, clock) as store:
        await store.append([UsageEvent("a", "fp-a", "prod-x", "", CustomerField.ACCOUNT_ID, "111122223333",
                                       "requests", 1, NEXT + 60), azure_usage("z", NEXT + 60)])  # fmt: skip
        shipper = Shipper(store.ledger, default_targets(), Backoff(cap=1))  # no adapters: nothing ships
        flusher = Flusher(store, shipper, clock, interval=HOUR, close_delay=60)
        clock.set(NEXT + 25 * HOUR)  # past AWS's 6 hours and Azure's 24
        with caplog.at_level(logging.ERROR, logger="sidecar.flusher"):
            assert (await flusher.seal()).dead == 2
    [line] = [r for r in caplog.records if "expired before" in r.getMessage()]
    assert "AWS" not in line.getMessage()
    assert line.fields["marketplaces"] == {"aws": 1, "azure": 1}  # type: ignore[attr-defined]


async def test_a_record_billed_after_it_expired_names_its_marketplace(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Azure billed a record while expiry dead-lettered it: billed, and its message and the log say Azure
    billed it, not AWS."""
    clock = ManualClock(WINDOW + 60)
    async with Store(tmp_path / "late.db", SETTINGS, clock) as store:
        await store.append([azure_usage("z", NEXT + 60)])
        assert (await store.seal(NEXT + HOUR + 61, 60)).records == 1
        later = NEXT + 25 * HOUR
        [record_id] = await store.expire(later)
        with caplog.at_level(logging.WARNING, logger="sidecar"):
            await store.apply([RecordOutcome(record_id, Outcome.BILLED, metering_record_id="ue-1")], later)
    assert db_rows(tmp_path / "late.db", "SELECT state, metering_record_id, message FROM records") == [
        ("billed", "ue-1", "billed by its marketplace (azure) after it was dead-lettered as expired")
    ]
    [line] = [r for r in caplog.records if "had just expired" in r.getMessage()]
    assert line.fields["marketplace"] == "azure"  # type: ignore[attr-defined]

"""Shipping's pace, seen from the emulator's side over real boto3: at most N calls in flight, at most R
started in any second, slower under throttling, and still billed exactly once whatever stops a pass."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
from metering_sidecar import config as config_module
from metering_sidecar._app import Sidecar
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.core._clock import ManualClock
from metering_sidecar.core._errors import ConfigError
from metering_sidecar.core._model import CustomerField, UsageEvent
from metering_sidecar.emulator import EmulatorServer
from metering_sidecar.shipping import Backoff, Flusher, Pacer, Shipper
from metering_sidecar.shipping._pacing import RateLimiter
from metering_sidecar.store import Store, StoreSettings

from tests.azure_support import PLAN, sidecar_settings, start_emulator
from tests.conftest import (
    HOUR,
    SidecarFactory,
    advance_and_flush,
    boto_marketplace,
    db_rows,
    fake_session,
)
from tests.procs import Emulator, SidecarProcess
from tests.reliability.load import Key, billed_by_key, compare, key_of
from tests.test_shipping import NEXT, record_many, states


def shipper_of(sidecar: Sidecar) -> Shipper:
    """Return the sidecar's single-mode shipper."""
    assert sidecar.flusher is not None
    shipper = sidecar.flusher.shipper
    assert isinstance(shipper, Shipper)
    return shipper


def most_in_any_second(times: list[float]) -> int:
    """Return the most call times that fall in one half-open second [t, t + 1) of the emulator's clock."""
    ordered = sorted(times)
    return max((sum(1 for u in ordered if 0 <= u - t < 1.0) for t in ordered), default=0)


# --- the rate limiter on its own, on a manual clock -------------------------------------------------------


def limiter_on(clock: ManualClock, rate: float) -> RateLimiter:
    """A limiter whose waits move the manual clock instead of waiting."""

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    return RateLimiter(rate, clock=clock, sleep=sleep)


async def start_times(limiter: RateLimiter, calls: int) -> list[float]:
    """Acquire ``calls`` tokens; return the clock's time at each."""
    starts = []
    for _ in range(calls):
        await limiter.acquire()
        starts.append(limiter.clock.now())
    return starts


async def test_limiter_starts_at_most_its_rate_in_any_second() -> None:
    """A bucket of R tokens, each back a second after it was spent: R at once, then R per second, never more."""
    clock = ManualClock(1000.0)
    starts = await start_times(limiter_on(clock, 10), 45)
    assert most_in_any_second(starts) == 10
    assert Counter(starts) == {1000.0: 10, 1001.0: 10, 1002.0: 10, 1003.0: 10, 1004.0: 5}


async def test_limiter_rates_under_one_and_fractions() -> None:
    """0.5 calls/s: one call every 2 s; 2.5 calls/s: never more than 2 in a second."""
    clock = ManualClock(0.0)
    assert await start_times(limiter_on(clock, 0.5), 3) == [0.0, 2.0, 4.0]
    assert most_in_any_second(await start_times(limiter_on(clock, 2.5), 9)) == 2


async def test_throttling_halves_the_rate_for_a_while_and_answers_restore_it() -> None:
    """AIMD: a throttled call halves the rate (once per 2 s: the calls in flight come back throttled
    together), down to a sixteenth; every answered call gives back a tenth of the configured rate."""
    clock = ManualClock(0.0)
    limiter = limiter_on(clock, 10)
    limiter.throttled()
    limiter.throttled()  # the same burst of refusals: one cut
    assert limiter.rate == 5
    assert most_in_any_second(await start_times(limiter, 10)) == 5
    for _ in range(10):
        clock.advance(2.0)
        limiter.throttled()
    assert limiter.rate == 10 / 16
    for _ in range(3):
        limiter.answered()
    assert limiter.rate == pytest.approx(10 / 16 + 3)
    for _ in range(20):
        limiter.answered()
    assert limiter.rate == 10


def test_pacer_refuses_nonsense() -> None:
    """A pace of zero, a negative one or no slots is a bug of the caller, said at once."""
    for bad in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="rate must be a number above 0"):
            Pacer(4, bad)
    with pytest.raises(ValueError, match="concurrency must be at least 1"):
        Pacer(0, 10)


# --- the settings -----------------------------------------------------------------------------------------


def test_pace_settings_from_flags_env_and_file(tmp_path: Path) -> None:
    """Defaults 4 and 10; METERING_SIDECAR_SHIP_* twins and TOML keys set them; a flag wins over both."""
    default = config_module.from_mapping({})
    assert (default.ship_concurrency, default.ship_rate_per_second) == (4, 10.0)
    env = {"METERING_SIDECAR_SHIP_CONCURRENCY": "8", "METERING_SIDECAR_SHIP_RATE_PER_SECOND": "2.5"}
    from_env = config_module.from_mapping(env)
    assert (from_env.ship_concurrency, from_env.ship_rate_per_second) == (8, 2.5)
    path = tmp_path / "sidecar.toml"
    path.write_text("ship-concurrency = 2\nship-rate-per-second = 20\n")
    parser = argparse.ArgumentParser()
    config_module.add_arguments(parser)
    from_file = config_module.build(parser.parse_args(["--config", str(path)]), {})
    assert (from_file.ship_concurrency, from_file.ship_rate_per_second) == (2, 20.0)
    flagged = config_module.build(
        parser.parse_args(["--config", str(path), "--ship-rate-per-second", "5"]), env
    )
    assert (flagged.ship_concurrency, flagged.ship_rate_per_second) == (8, 5.0)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"METERING_SIDECAR_SHIP_CONCURRENCY": "0"}, "METERING_SIDECAR_SHIP_CONCURRENCY: must be between 1 and 64"),
        ({"METERING_SIDECAR_SHIP_CONCURRENCY": "-3"}, "METERING_SIDECAR_SHIP_CONCURRENCY: must be between 1 and 64"),
        ({"METERING_SIDECAR_SHIP_CONCURRENCY": "four"}, "METERING_SIDECAR_SHIP_CONCURRENCY: expected an integer"),
        ({"METERING_SIDECAR_SHIP_RATE_PER_SECOND": "0"}, "METERING_SIDECAR_SHIP_RATE_PER_SECOND: must be a number above 0"),
        ({"METERING_SIDECAR_SHIP_RATE_PER_SECOND": "-1"}, "METERING_SIDECAR_SHIP_RATE_PER_SECOND: must be a number above 0"),
        ({"METERING_SIDECAR_SHIP_RATE_PER_SECOND": "nan"}, "METERING_SIDECAR_SHIP_RATE_PER_SECOND: must be a number above 0"),
        ({"METERING_SIDECAR_SHIP_RATE_PER_SECOND": "fast"}, "METERING_SIDECAR_SHIP_RATE_PER_SECOND: expected a number"),
        ({"METERING_SIDECAR_SHIP_CONCURRENCY": "16"}, "--ship-concurrency: must be below --aws-max-calls-in-flight (16)"),
    ],
)  # fmt: skip
def test_bad_pace_settings_name_the_setting(env: dict[str, str], message: str) -> None:
    """Zero, negative, non-numeric, or more calls than the adapter lets wait: refused, naming the setting."""
    with pytest.raises(ConfigError) as info:
        config_module.from_mapping(env)
    assert message in str(info.value)


# --- a sidecar shipping to the emulator ------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_at_most_n_calls_are_in_flight_and_n_are_reached(
    make_sidecar: SidecarFactory, clock: ManualClock, emulator: EmulatorServer, concurrency: int
) -> None:
    """Slow answers (0.3 s each): the emulator sees exactly N calls at once at the most, and all bill once."""
    sidecar = await make_sidecar(ship_concurrency=concurrency, ship_rate_per_second=1000.0)
    clock.set(NEXT + 60)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await record_many(stub, 25 * 3 * concurrency)
        emulator.state.update_faults({"delay_seconds": 0.3})
        result = await advance_and_flush(clock, stub, HOUR)
    assert result.billed_records == 75 * concurrency
    stats = emulator.state.stats
    assert (stats.calls, stats.calls_in_flight_peak, stats.duplicate_records) == (
        3 * concurrency,
        concurrency,
        0,
    )
    assert shipper_of(sidecar).pacer.peak_in_flight == concurrency


def on_manual_clock(clock: ManualClock, pace: tuple[int, float], reached: Callable[[], int]) -> Pacer:
    """A pacer (concurrency, rate) whose waits move the manual clock, and only once every call it started has
    reached the emulator (``reached`` counts them there): each call is recorded at the moment it started."""
    pacer: Pacer

    async def sleep(seconds: float) -> None:
        for _ in range(2000):  # a bound against hanging, not a timing assertion
            if reached() >= pacer.started:
                break
            await asyncio.sleep(0.005)
        clock.advance(seconds)

    pacer = Pacer(*pace, clock=clock, sleep=sleep)
    return pacer


async def paced_pass(
    make_sidecar: SidecarFactory,
    emulator: EmulatorServer,
    clock: ManualClock,
    pace: tuple[int, float],
    records: int,
    faults: dict[str, object],
    **settings: float,
) -> tuple[Sidecar, pb.FlushResponse, float]:
    """Ship ``records`` records in one pass whose pace (concurrency, rate) waits by moving the manual clock,
    and only once every call started so far has reached the emulator: each call is recorded at the moment it
    started, so windows are counted, not timed. Return the sidecar, the pass's result and when it started."""
    sidecar = await make_sidecar(**settings)
    shipper_of(sidecar).pacer = on_manual_clock(clock, pace, lambda: len(emulator.state.stats.call_times))
    clock.set(NEXT + 60)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await record_many(stub, records)
        emulator.state.update_faults(faults)
        started = clock.now() + HOUR
        return sidecar, await advance_and_flush(clock, stub, HOUR), started


async def test_calls_start_at_most_r_per_second_on_the_emulators_clock(
    make_sidecar: SidecarFactory, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """24 calls at 5 per second, 4 in flight: the emulator, on the same manual clock, never sees more than 5
    calls in a second, and sees 5 in each full one."""
    _, result, started = await paced_pass(make_sidecar, emulator, clock, (4, 5.0), 600, {})
    assert result.billed_records == 600
    times = emulator.state.stats.call_times
    assert len(times) == 24
    assert most_in_any_second(times) == 5
    assert Counter(t - started for t in times) == {0.0: 5, 1.0: 5, 2.0: 5, 3.0: 5, 4.0: 4}


async def test_throttling_slows_the_pace_down_and_answers_speed_it_up(
    make_sidecar: SidecarFactory, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """At 4 calls/s, one call at a time, the first 6 calls throttled: the pace halves at the first refusal
    and again 2 s later, then grows back with each answered call. Throttled records are resent later."""
    sidecar, result, started = await paced_pass(
        make_sidecar, emulator, clock, (1, 4.0), 250, {"throttle_next": 6}
    )
    assert (result.billed_records, result.retry_records) == (100, 150)
    # 0 s: cut to 2/s; 2 s: cut to 1/s; from the 7th call on each answer adds 0.4/s.
    assert [t - started for t in emulator.state.stats.call_times] == [0, 0, 1, 1, 2, 3, 4, 5, 6, 6]
    assert sidecar.flusher is not None
    assert (await sidecar.flusher.flush()).billed == 150
    assert states(sidecar) == {"billed": 250}
    assert emulator.state.stats.duplicate_records == 0


async def test_each_call_of_a_long_pass_takes_the_time_it_is_sent(
    make_sidecar: SidecarFactory, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """One call a second, AWS failing every call: a record's retry waits out its backoff from its own call,
    not from the pass's start (seconds or minutes earlier, which left the retry time already past)."""
    sidecar, result, started = await paced_pass(
        make_sidecar, emulator, clock, (1, 1.0), 125, {"outage": True}, max_backoff_seconds=60.0
    )
    assert result.retry_records == 125
    assert [t - started for t in emulator.state.stats.call_times] == [0, 1, 2, 3, 4]
    rows = db_rows(sidecar.config.db, "SELECT id, next_attempt_s FROM records ORDER BY id")
    for index, (_, next_attempt) in enumerate(rows):
        sent = started + index // 25  # calls hold records in id order, 25 each
        assert sent + 0.5 <= next_attempt <= sent + 1.0  # the first backoff: between 0.5 and 1 s


async def test_records_that_expire_while_their_call_waits_are_not_sent(
    make_sidecar: SidecarFactory, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """Three calls a second apart, the records' expiry between the second and the third: the third call's
    records are not sent (a marketplace taking them now would bill what expiry makes a dead letter)."""
    sidecar = await make_sidecar()
    shipper_of(sidecar).pacer = on_manual_clock(clock, (1, 1.0), lambda: len(emulator.state.stats.call_times))
    clock.set(NEXT + 60)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await record_many(stub, 75)
        emulator.state.update_faults({"outage": True})
        await advance_and_flush(clock, stub, HOUR)  # sealed; AWS is down
        [(expires,)] = db_rows(sidecar.config.db, "SELECT DISTINCT expires_s FROM records")
        emulator.state.update_faults({"outage": False})
        clock.set(expires - 1.5)
        calls_before = emulator.state.stats.calls
        result = await stub.Flush(pb.FlushRequest())
        assert (result.billed_records, result.retry_records) == (50, 0)
        assert emulator.state.stats.calls - calls_before == 2
        assert (await stub.Flush(pb.FlushRequest())).dead_letter_records == 25
    assert states(sidecar) == {"billed": 50, "dead": 25}
    assert len(emulator.state.billed()) == 50


async def test_random_throttling_still_bills_everything_once(
    make_sidecar: SidecarFactory,
    clock: ManualClock,
    emulator: EmulatorServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Half of all calls throttled, 4 in flight: the pace is cut (and says so), billed equals recorded."""
    sidecar = await make_sidecar(ship_concurrency=4, ship_rate_per_second=200.0)
    clock.set(NEXT + 60)
    emulator.state.update_faults({"throttle_rate": 0.5})
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await record_many(stub, 500)
        with caplog.at_level(logging.WARNING, logger="sidecar.shipping"):
            await advance_and_flush(clock, stub, HOUR)
            for _ in range(40):
                if states(sidecar) == {"billed": 500}:
                    break
                await advance_and_flush(clock, stub, 1)
    assert states(sidecar) == {"billed": 500}
    assert any("throttles shipping calls" in r.getMessage() for r in caplog.records)
    stats = emulator.state.stats
    assert stats.throttled > 0
    assert (stats.success, stats.duplicate_records) == (500, 0)
    assert sum(b["quantity"] for b in emulator.state.billed()) == 500


@pytest.mark.parametrize(
    ("fault", "concurrency", "settings", "wait"),
    [
        ("disabled", 2, {"max_backoff_seconds": 30.0}, 31),  # shipping pauses for the backoff cap
        ("hang", 3, {"aws_timeout_seconds": 1.0, "aws_call_deadline_seconds": 1.0}, 1),
    ],
)
async def test_a_disabled_or_unanswering_aws_starts_no_new_call(
    make_sidecar: SidecarFactory,
    clock: ManualClock,
    emulator: EmulatorServer,
    fault: str,
    concurrency: int,
    settings: dict[str, float],
    wait: float,
) -> None:
    """DisabledApiException, or a hung AWS (no answer before the deadline): once the first call in flight
    ends so, the pass starts nothing new; the others in flight end and are stored, the records not sent stay
    due, and everything bills once AWS answers again."""
    sidecar = await make_sidecar(ship_concurrency=concurrency, ship_rate_per_second=1000.0, **settings)
    clock.set(NEXT + 60)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await record_many(stub, 250)
        emulator.state.update_faults({fault: True})
        result = await advance_and_flush(clock, stub, HOUR)
        assert (result.billed_records, result.retry_records) == (0, 25 * concurrency)
        assert len(emulator.state.stats.call_times) == concurrency
        assert db_rows(sidecar.config.db, "SELECT COUNT(*) FROM records WHERE attempts = 1") == [
            (25 * concurrency,)
        ]
        emulator.state.update_faults({fault: False})
        assert (await advance_and_flush(clock, stub, wait)).billed_records == 250
    assert states(sidecar) == {"billed": 250}
    assert emulator.state.stats.duplicate_records == 0


async def test_a_full_page_ships_on_without_waiting_for_the_next_interval(
    tmp_path: Path, emulator: EmulatorServer, clock: ManualClock
) -> None:
    """A backlog bigger than a pass's page ships page after page: the loop waits its interval (an hour here)
    only once nothing more is due."""
    clock.set(NEXT - 10)  # a new database seals its current window: open it just before ours
    settings = StoreSettings(window_seconds=HOUR, max_record_age=6 * HOUR, expiry_margin=900)
    async with Store(tmp_path / "pages.db", settings, clock) as store:
        events = [
            UsageEvent(f"e{i}", "fp", "prod-x", "", CustomerField.ACCOUNT_ID, f"{100000 + i}", "requests", 1, NEXT + 60)
            for i in range(120)
        ]  # fmt: skip
        await store.append(events)
        shipper = Shipper(
            store.ledger, boto_marketplace(emulator.url), Backoff(cap=0.0), pacer=Pacer(4, 1000.0)
        )
        shipper.page = 50
        flusher = Flusher(store, shipper, clock, interval=3600.0, close_delay=60.0)
        clock.set(NEXT + HOUR + 61)
        assert (await flusher.seal()).sealed_records == 120
        running = asyncio.create_task(flusher.run())
        try:
            for _ in range(500):
                if len(emulator.state.billed()) == 120:
                    break
                await asyncio.sleep(0.02)
        finally:
            flusher.stop()
            await running
    assert len(emulator.state.billed()) == 120
    assert emulator.state.stats.calls == 5  # pages of 50, 50 and 20 records: calls of 25, 25, 25, 25, 20


async def test_a_crash_amid_concurrent_calls_loses_nothing(tmp_path: Path) -> None:
    """The process dies when the first of 4 slow concurrent calls is answered, before its outcome is stored:
    after a restart everything bills once, the calls that had landed resent identical (same ids)."""
    emulator = Emulator("--dedup-seconds", "2")
    sidecar = SidecarProcess(
        tmp_path / "crash.db", emulator.url, "--window-seconds", "2", "--close-delay-seconds", "0.3",
        "--flush-interval-seconds", "0.1", "--max-backoff-seconds", "0.5", "--ship-concurrency", "4",
    )  # fmt: skip
    try:
        emulator.faults(delay_seconds=0.5)
        sidecar.start(extra_env={"METERING_SIDECAR_CRASH_AT": "ship-after-call"})
        acked: Counter[Key] = Counter()
        async with grpc.aio.insecure_channel(sidecar.target) as channel:
            stub = pb_grpc.MeteringSidecarStub(channel)
            events = [
                pb.UsageEvent(event_id=f"c{i}", customer_aws_account_id=f"{200000 + i}", dimension="requests", quantity=2)
                for i in range(150)
            ]  # fmt: skip
            await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=events), timeout=10)
        for e in events:
            acked[key_of(e)] += e.quantity
        assert sidecar.proc is not None
        assert await asyncio.to_thread(sidecar.proc.wait, 30) == 137
        emulator.faults(delay_seconds=0)
        sidecar.start()
        status = await sidecar.drain(within=60)
        assert status.pending_events == 0
        stats = emulator.get("/_emulator/stats")["stats"]
        assert stats["calls_in_flight_peak"] == 4
        assert stats["identical_repeats"] >= 25  # at least the crashed call's records: resent, same ids
        assert stats["duplicate_records"] == 0
        assert compare(acked, billed_by_key(emulator.get("/_emulator/billed"))) == (0, 0)  # lost, duplicated
    finally:
        if sidecar.proc and sidecar.proc.poll() is None:
            sidecar.kill()
        emulator.stop()


# --- AWS and Azure, each at its own pace ------------------------------------------------------------------


@pytest.fixture
async def both(
    tmp_path: Path, clock: ManualClock
) -> AsyncIterator[tuple[Callable[..., Awaitable[Sidecar]], EmulatorServer]]:
    """A factory of sidecars shipping to AWS and to Azure (the emulator's two sides; Azure over TLS)."""
    emulator = start_emulator(clock, auto_subscribe=True)
    started: list[Sidecar] = []

    async def make(**overrides: Any) -> Sidecar:
        settings = sidecar_settings(emulator, tmp_path / "client-secret", tmp_path / "both.db", **overrides)
        sidecar = Sidecar(
            config_module.from_mapping({}, **settings), clock=clock, boto_session=fake_session()
        )
        await sidecar.start()
        started.append(sidecar)
        return sidecar

    yield make, emulator
    emulator.azure.update_faults({"hang": False})
    for sidecar in started:
        await sidecar.shutdown(grace=0.5)
    emulator.stop()


async def record_azure(stub: pb_grpc.MeteringSidecarAsyncStub, count: int) -> None:
    """Record ``count`` Azure events for ``count`` resources (so ``count`` records)."""
    events = [pb.UsageEvent(event_id=f"z-{i}", azure_resource_id=f"00000000-0000-4000-8000-{i:012d}", azure_plan_id=PLAN,
                            dimension="emails", quantity_decimal="1.5") for i in range(count)]  # fmt: skip
    await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=events))


async def test_a_hung_azure_holds_only_azures_calls_in_flight(
    both: tuple[Callable[..., Awaitable[Sidecar]], EmulatorServer], clock: ManualClock
) -> None:
    """Every Azure call hangs: Azure's calls hold Azure's slots, and AWS's records (sorted after Azure's) are
    billed meanwhile, within the same pass, instead of waiting for the slots Azure holds."""
    make, emulator = both
    sidecar = await make(ship_concurrency=2, ship_rate_per_second=1000.0, azure_timeout_seconds=60.0,
                         azure_call_deadline_seconds=60.0)  # fmt: skip
    clock.advance(HOUR)  # past the fresh database's first window, which counts as sealed
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await record_azure(stub, 100)
        await record_many(stub, 100)
        emulator.azure.update_faults({"hang": True})
        clock.advance(HOUR)
        flushing = asyncio.ensure_future(stub.Flush(pb.FlushRequest()))
        for _ in range(1500):  # a bound against hanging, not a timing assertion
            if (len(emulator.state.billed()) == 100 and emulator.azure.stats.hung == 2) or flushing.done():
                break
            await asyncio.sleep(0.01)
        assert len(emulator.state.billed()) == 100  # AWS billed while Azure still holds its calls
        assert not flushing.done()
        assert emulator.azure.stats.hung == 2  # --ship-concurrency calls: Azure's own slots
        emulator.azure.update_faults({"hang": False})
        result = await flushing
        assert (result.billed_records, result.retry_records) == (100, 50)  # Azure's 2 calls: no answer
        assert (await stub.Flush(pb.FlushRequest())).billed_records == 100
    assert states(sidecar) == {"billed": 200}


async def test_an_azure_429_slows_only_azure(
    both: tuple[Callable[..., Awaitable[Sidecar]], EmulatorServer], clock: ManualClock
) -> None:
    """Azure throttles a call: Azure's pace is halved, AWS's is not. The next pass starts AWS's 8 calls at its
    full 4 a second (on the manual clock, which the pacer's waits move)."""
    make, emulator = both
    sidecar = await make()

    def reached() -> int:
        azure = emulator.azure.stats
        return len(emulator.state.stats.call_times) + azure.calls + azure.throttled

    pacer = on_manual_clock(clock, (1, 4.0), reached)
    shipper_of(sidecar).pacer = pacer
    clock.advance(HOUR)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await record_azure(stub, 1)
        emulator.azure.update_faults({"throttle_next": 1})
        assert (await advance_and_flush(clock, stub, HOUR)).retry_records == 1
        await record_many(stub, 200)
        started = clock.now() + HOUR
        result = await advance_and_flush(clock, stub, HOUR)
    assert result.billed_records == 201
    assert Counter(t - started for t in emulator.state.stats.call_times) == {0.0: 4, 1.0: 4}
    assert pacer.limiter("aws").rate == 4.0
    assert pacer.limiter("azure").rate < 4.0  # halved, and given back a tenth by its one answered call

"""The Flush RPC (`metering-sidecar flush`) after an outage: one attempt now for every pending record, backoff
or not, counted in its answer; the shipping loop's own passes still wait out each record's backoff. Real boto3
to the emulator over HTTP, a real gRPC server, real SQLite."""

from __future__ import annotations

import grpc
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.core._clock import ManualClock
from metering_sidecar.emulator import EmulatorServer

from tests.conftest import HOUR, START, SidecarFactory, advance_and_flush, db_rows
from tests.test_shipping import record_many, states

NEXT = (int(START) // HOUR) * HOUR + HOUR


async def test_flush_after_an_outage_bills_records_still_in_backoff(
    make_sidecar: SidecarFactory, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """Three failed attempts in an outage leave 30 records in backoff; the outage ends. A loop pass sends
    nothing (their backoff has not run out), one Flush bills all of them, and its answer counts them."""
    sidecar = await make_sidecar(max_backoff_seconds=300.0)
    assert sidecar.flusher is not None
    clock.set(NEXT + 60)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await record_many(stub, 30)
        emulator.state.update_faults({"outage": True})
        assert (await advance_and_flush(clock, stub, HOUR)).retry_records == 30
        for _ in range(2):
            [(due,)] = db_rows(sidecar.config.db, "SELECT MAX(next_attempt_s) FROM records")
            clock.set(due)
            assert (await sidecar.flusher.ship()).retry == 30  # the loop's pass, once the backoff ran out
        emulator.state.update_faults({"outage": False})
        [(attempts, waiting)] = db_rows(
            sidecar.config.db,
            "SELECT MIN(attempts), COUNT(*) FROM records WHERE next_attempt_s > ?",
            (clock.now(),),
        )
        assert (attempts, waiting) == (3, 30)
        calls = emulator.state.stats.calls
        assert (await sidecar.flusher.ship()).retry == 0
        assert emulator.state.stats.calls == calls

        result = await stub.Flush(pb.FlushRequest())
        assert (result.billed_records, result.retry_records, result.dead_letter_records) == (30, 0, 0)
    assert states(sidecar) == {"billed": 30}
    assert len(emulator.state.billed()) == 30
    assert emulator.state.stats.duplicate_records == 0


async def test_flush_makes_one_attempt_and_a_failure_backs_off_further(
    make_sidecar: SidecarFactory, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """Flush in a continuing outage: one more attempt per record, counted, and a longer backoff after it."""
    sidecar = await make_sidecar(max_backoff_seconds=300.0)
    clock.set(NEXT + 60)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await record_many(stub, 3)
        emulator.state.update_faults({"outage": True})
        assert (await advance_and_flush(clock, stub, HOUR)).retry_records == 3
        calls = emulator.state.stats.calls
        assert (await stub.Flush(pb.FlushRequest())).retry_records == 3
        assert emulator.state.stats.calls == calls + 1  # one call of 3 records
    [(attempts, earliest)] = db_rows(
        sidecar.config.db, "SELECT MIN(attempts), MIN(next_attempt_s) FROM records"
    )
    assert attempts == 2
    assert earliest >= clock.now() + 1.0  # the second backoff: between 1 and 2 s

"""SIGTERM on a real `serve` process: delay, drain, final shipment, exit 0 within the grace; JSON logs."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc

from tests.procs import Emulator, SidecarProcess

WINDOW = 3


async def _wait_for_open_window() -> None:
    # A new database treats the current window as sealed: start load in the next one.
    await asyncio.sleep(WINDOW - time.time() % WINDOW + 0.05)


async def test_sigterm_under_load_loses_nothing_and_exits_within_grace(tmp_path: Path) -> None:
    """Under load, SIGTERM drains and ships; every acknowledged event is billed; exit 0 within the grace."""
    emulator = Emulator("--dedup-seconds", str(WINDOW))
    token = tmp_path / "token"
    token.write_text("very-secret-token-123")
    sidecar = SidecarProcess(
        tmp_path / "load.db", emulator.url, "--window-seconds", str(WINDOW), "--close-delay-seconds", "0.5",
        "--flush-interval-seconds", "0.2", "--shutdown-grace-seconds", "5", "--api-token-file", str(token),
    )  # fmt: skip
    sidecar.args[sidecar.args.index("--log-level") + 1] = "info"
    md = (("authorization", "Bearer very-secret-token-123"),)
    acked: Counter[str] = Counter()
    refused = 0
    try:
        sidecar.start()
        await _wait_for_open_window()
        stop = asyncio.Event()

        async def client(name: str) -> None:
            nonlocal refused
            async with grpc.aio.insecure_channel(sidecar.target) as channel:
                stub = pb_grpc.MeteringSidecarStub(channel)
                i = 0
                while not stop.is_set():
                    event = pb.UsageEvent(event_id=f"{name}-{i}", customer_aws_account_id="123412341234",
                                          dimension="requests", quantity=1 + i % 5)  # fmt: skip
                    try:
                        await stub.RecordUsage(pb.RecordUsageRequest(event=event), metadata=md, timeout=2)
                        acked["requests"] += event.quantity
                    except grpc.aio.AioRpcError:
                        refused += 1
                        return  # the server is going away: this client stops
                    i += 1

        clients = [asyncio.create_task(client(f"c{n}")) for n in range(4)]
        await asyncio.sleep(1.0)
        assert sidecar.proc is not None
        sent_at = time.monotonic()
        sidecar.proc.send_signal(15)
        code = await asyncio.to_thread(sidecar.proc.wait, 30)
        took = time.monotonic() - sent_at
        stop.set()
        await asyncio.gather(*clients)
        assert code == 0
        assert took < 5 + 2  # the grace, plus process start-up slack
        billed: Counter[str] = Counter()
        for record in emulator.get("/_emulator/billed"):
            billed[record["dimension"]] += record["quantity"]
        assert acked["requests"] > 50
        assert billed == acked
        log_lines = [
            json.loads(line) for line in sidecar.log.read_text().splitlines() if line.startswith("{")
        ]
        assert log_lines
        assert all({"time", "level", "message", "logger"} <= set(line) for line in log_lines)
        assert any(line["message"] == "metering-sidecar stopped" for line in log_lines)
        text = sidecar.log.read_text()
        assert "very-secret-token-123" not in text
        assert "test-secret" not in text  # the fake AWS secret key
    finally:
        if sidecar.proc and sidecar.proc.poll() is None:
            sidecar.kill()
        emulator.stop()


async def test_shutdown_delay_keeps_serving_then_drains(tmp_path: Path) -> None:
    """With --shutdown-delay-seconds, the sidecar keeps taking usage and stays SERVING after SIGTERM."""
    emulator = Emulator()
    sidecar = SidecarProcess(tmp_path / "delay.db", emulator.url, "--shutdown-delay-seconds", "1.5",
                             "--log-format", "text")  # fmt: skip
    sidecar.args[sidecar.args.index("--log-level") + 1] = "info"
    try:
        sidecar.start()
        assert sidecar.proc is not None
        sidecar.proc.send_signal(15)
        await asyncio.sleep(0.3)
        async with grpc.aio.insecure_channel(sidecar.target) as channel:
            answer = await pb_grpc.MeteringSidecarStub(channel).RecordUsage(
                pb.RecordUsageRequest(
                    event=pb.UsageEvent(customer_aws_account_id="1", dimension="d", quantity=1)
                ),
                timeout=5,
            )
            assert answer.event_id
        async with grpc.aio.insecure_channel(f"127.0.0.1:{sidecar.health_port}") as channel:
            health = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=5
            )
            assert health.status == health_pb2.HealthCheckResponse.SERVING
        assert await asyncio.to_thread(sidecar.proc.wait, 30) == 0
        assert "info    sidecar.app: metering-sidecar stopped" in sidecar.log.read_text()
    finally:
        if sidecar.proc and sidecar.proc.poll() is None:
            sidecar.kill()
        emulator.stop()


async def test_second_signal_exits_at_once_and_loses_nothing(tmp_path: Path) -> None:
    """A second SIGTERM during the delay exits at once; acknowledged usage is still on disk for the next start."""
    emulator = Emulator("--dedup-seconds", str(WINDOW))
    sidecar = SidecarProcess(
        tmp_path / "twice.db", emulator.url, "--window-seconds", str(WINDOW), "--close-delay-seconds", "0.2",
        "--flush-interval-seconds", "0.2", "--shutdown-delay-seconds", "30",
    )  # fmt: skip
    try:
        sidecar.start()
        await _wait_for_open_window()
        async with grpc.aio.insecure_channel(sidecar.target) as channel:
            events = [pb.UsageEvent(event_id=f"e{i}", customer_aws_account_id="5", dimension="d", quantity=2)
                      for i in range(10)]  # fmt: skip
            await pb_grpc.MeteringSidecarStub(channel).RecordUsageBatch(
                pb.RecordUsageBatchRequest(events=events)
            )
        assert sidecar.proc is not None
        sidecar.proc.send_signal(15)
        await asyncio.sleep(0.3)
        started = time.monotonic()
        sidecar.proc.send_signal(15)
        assert await asyncio.to_thread(sidecar.proc.wait, 10) == 0
        assert time.monotonic() - started < 5  # not the 30 s delay
        sidecar.args[sidecar.args.index("--shutdown-delay-seconds") + 1] = "0"
        sidecar.start()
        assert (await sidecar.drain(within=30)).pending_events == 0
        assert sum(r["quantity"] for r in emulator.get("/_emulator/billed")) == 20
        sidecar.terminate()
    finally:
        if sidecar.proc and sidecar.proc.poll() is None:
            sidecar.kill()
        emulator.stop()


async def test_sigterm_right_after_start_still_drains(tmp_path: Path) -> None:
    """A SIGTERM just after the port opens is drained like any other: exit 0, three times over."""
    emulator = Emulator()
    try:
        for attempt in range(3):
            sidecar = SidecarProcess(tmp_path / f"early{attempt}.db", emulator.url)
            sidecar.start()
            assert sidecar.proc is not None
            sidecar.proc.send_signal(15)
            assert await asyncio.to_thread(sidecar.proc.wait, 30) == 0
    finally:
        emulator.stop()

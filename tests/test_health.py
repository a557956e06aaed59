"""Health: gRPC health on the API and probe ports, HTTP probes, readiness on a full disk and while draining."""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from metering_sidecar._app import Sidecar
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.core._clock import ManualClock
from metering_sidecar.emulator import EmulatorServer

from tests.conftest import HOUR, START, SidecarFactory, event

NEXT = (int(START) // HOUR) * HOUR + HOUR
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def check(target: str, service: str = "") -> int:
    """Ask grpc.health.v1 at ``target``."""
    async with grpc.aio.insecure_channel(target) as channel:
        answer = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service)
        )
        return int(answer.status)


def http(sidecar: Sidecar, path: str) -> tuple[int, str]:
    """GET a path on the metrics port."""
    assert sidecar.probes is not None
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{sidecar.probes.port}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


async def http_async(sidecar: Sidecar, path: str) -> tuple[int, str]:
    """GET from a thread, so the event loop stays free to answer liveness."""
    return await asyncio.to_thread(http, sidecar, path)


async def all_readiness(sidecar: Sidecar) -> set[object]:
    """Readiness as seen on every surface: API port, health port (both names) and /healthz/ready."""
    health_target = f"127.0.0.1:{sidecar.health_port}"
    answers: set[object] = set()
    for target in (sidecar.target, health_target):
        for service in ("", "meteringsidecar.v1.MeteringSidecar"):
            answers.add(await check(target, service))
    status, _ = await http_async(sidecar, "/healthz/ready")
    answers.add(status)
    return answers


async def wait_for(predicate: object, within: float = 10.0) -> None:
    """Poll an async predicate until true."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached")


async def test_serving_everywhere_when_healthy(sidecar: Sidecar) -> None:
    """A healthy sidecar is SERVING on both ports and names, and /healthz/ready and /live answer 200."""
    assert await all_readiness(sidecar) == {SERVING, 200}
    assert (await http_async(sidecar, "/healthz/live"))[0] == 200


async def test_full_disk_flips_readiness_and_recovers(make_sidecar: SidecarFactory) -> None:
    """A full disk makes every probe NOT_SERVING; freed room brings SERVING back by itself."""
    sidecar = await make_sidecar(max_db_bytes=160 * 1024)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        refused = False
        for i in range(500):
            batch = [event(event_id=f"f{i}-{j}", dimension="x" * 200) for j in range(20)]
            try:
                await stub.RecordUsageBatch(pb.RecordUsageBatchRequest(events=batch))
            except grpc.aio.AioRpcError:
                refused = True
                break
        assert refused
        await wait_for(lambda: _all(sidecar, {NOT_SERVING, 503}))
        assert (await http_async(sidecar, "/healthz/live"))[
            0
        ] == 200  # a full disk is not a reason to restart
        await sidecar.store.set_max_db_bytes(400 * 1024 * 1024)  # the operator frees room
        await wait_for(lambda: _all(sidecar, {SERVING, 200}))
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="after")))


async def _all(sidecar: Sidecar, expected: set[object]) -> bool:
    return await all_readiness(sidecar) == expected


async def test_draining_is_not_serving_while_in_flight_rpcs_finish(
    sidecar: Sidecar, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """Shutdown reports NOT_SERVING first, refuses new RPCs, and lets the in-flight one finish."""
    clock.set(NEXT + 60)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="slow")))
        clock.advance(HOUR)
        emulator.state.update_faults({"delay_seconds": 1.0})
        in_flight = asyncio.ensure_future(stub.Flush(pb.FlushRequest()))
        await asyncio.sleep(0.3)
        stopping = asyncio.create_task(sidecar.shutdown(grace=10))
        await asyncio.sleep(0.2)
        assert await check(f"127.0.0.1:{sidecar.health_port}") == NOT_SERVING
        assert (await http_async(sidecar, "/healthz/ready"))[0] == 503
        async with grpc.aio.insecure_channel(sidecar.target) as fresh:
            try:
                await pb_grpc.MeteringSidecarStub(fresh).GetStatus(pb.GetStatusRequest(), timeout=2)
                refused = False
            except grpc.aio.AioRpcError:
                refused = True
        assert refused
        assert (await in_flight).billed_records == 1
        await stopping


async def test_aws_trouble_never_touches_readiness(
    sidecar: Sidecar, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """DisabledApiException and outages show in metrics and logs, not in readiness."""
    clock.set(NEXT + 60)
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await stub.RecordUsage(pb.RecordUsageRequest(event=event()))
        emulator.state.update_faults({"disabled": True})
        clock.advance(HOUR)
        await stub.Flush(pb.FlushRequest())
    assert await all_readiness(sidecar) == {SERVING, 200}
    _, metrics = await http_async(sidecar, "/metrics")
    assert "metering_sidecar_shipping_disabled 1.0" in metrics


async def test_liveness_fails_when_the_flusher_dies(sidecar: Sidecar) -> None:
    """A dead flusher task fails /healthz/live (kubelet restarts the container)."""
    assert (await http_async(sidecar, "/healthz/live"))[0] == 200
    assert sidecar._flusher_task is not None
    sidecar._flusher_task.cancel()
    await asyncio.sleep(0.05)
    status, body = await http_async(sidecar, "/healthz/live")
    assert status == 503
    assert "flusher" in body


async def test_liveness_fails_when_the_event_loop_is_stuck(sidecar: Sidecar) -> None:
    """A blocked event loop cannot answer the probe thread, so /healthz/live fails."""
    import metering_sidecar.ops._health as health_module

    original = health_module.LOOP_ANSWER_SECONDS
    health_module.LOOP_ANSWER_SECONDS = 0.3
    try:
        probe = asyncio.get_running_loop().run_in_executor(None, http, sidecar, "/healthz/live")
        time.sleep(1.0)  # noqa: ASYNC251 - the point: the loop is stuck and nothing else runs
        status, _ = await probe
    finally:
        health_module.LOOP_ANSWER_SECONDS = original
    assert status == 503
    assert (await http_async(sidecar, "/healthz/live"))[0] == 200


async def test_health_port_serves_only_health(sidecar: Sidecar) -> None:
    """The probe port answers health checks and nothing else."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{sidecar.health_port}") as channel:
        try:
            await pb_grpc.MeteringSidecarStub(channel).GetStatus(pb.GetStatusRequest(), timeout=5)
            code = grpc.StatusCode.OK
        except grpc.aio.AioRpcError as exc:
            code = exc.code()
    assert code == grpc.StatusCode.UNIMPLEMENTED


async def test_reflection_lists_the_services(sidecar: Sidecar) -> None:
    """grpcio-reflection on the API port lists the sidecar, health and reflection services."""
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        names: set[str] = set()
        async for answer in stub.ServerReflectionInfo(iter([request])):
            names |= {s.name for s in answer.list_services_response.service}
    assert {"meteringsidecar.v1.MeteringSidecar", "grpc.health.v1.Health"} <= names

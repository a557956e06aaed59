"""The conformance harness: runs clients/conformance/cases against every client's runner.

Each case runs against a real `serve` process (and the AWS emulator) behind a fault-injecting gRPC
proxy on loopback. The proxy forwards every call byte for byte; for RecordUsage and RecordUsageBatch
it records each attempt (the event ids, the bearer token, the deadline the client sent) and can answer
an attempt itself with a status code (UNAVAILABLE, RESOURCE_EXHAUSTED, CANCELLED: what a restarting or
overloaded sidecar sends) or hold it past the client's deadline and deliver it late ("stall:MS").
Everything else (INVALID_ARGUMENT, ALREADY_EXISTS, UNAUTHENTICATED, a full buffer) comes from the
real sidecar.
"""

from __future__ import annotations

import json
import re
import select
import socket
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc

from tests.procs import Emulator, SidecarProcess, _env, python_m, unmeasured_env

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "clients" / "conformance" / "cases"
DEFAULT_CLIENT = {"attempt_timeout_ms": 2000, "retry_budget_ms": 10000}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
SLACK_MS = 150  # network and scheduling between the client's clock and the proxy's


def load_cases() -> dict[str, dict[str, Any]]:
    """Every case, by name (its file name without .json)."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(CASES_DIR.glob("*.json"))}


@dataclass
class Attempt:
    """One RecordUsage(Batch) call as the proxy saw it."""

    event_ids: list[str]
    authorization: str | None
    deadline_ms: float | None


@dataclass
class FaultProxy(grpc.GenericRpcHandler):  # type: ignore[type-arg]
    """A loopback gRPC proxy in front of a sidecar that records attempts and injects faults."""

    upstream: str
    listen: str
    attempts: list[Attempt] = field(default_factory=list)
    _faults: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._channel = grpc.insecure_channel(self.upstream)
        self._server = grpc.server(ThreadPoolExecutor(max_workers=16), handlers=[self])
        port = self._server.add_insecure_port(self.listen)
        self.target = self.listen if self.listen.startswith("unix:") else f"127.0.0.1:{port}"
        self._server.start()

    def arm(self, faults: list[str]) -> None:
        """Start a new step: these actions for its first attempts, forward after them."""
        with self._lock:
            self._faults = list(faults)
            self.attempts = []

    def recorded(self) -> list[Attempt]:
        """The attempts of the current step."""
        with self._lock:
            return list(self.attempts)

    def service(
        self, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[bytes, bytes] | None:
        """Handle every method as raw bytes."""
        method = handler_call_details.method
        return grpc.unary_unary_rpc_method_handler(
            lambda request, context: self._handle(method, request, context)
        )

    def _handle(self, method: str, request: bytes, context: grpc.ServicerContext) -> bytes:
        metadata = {key: value for key, value in context.invocation_metadata() if isinstance(value, str)}
        action = "forward"
        if method.endswith(("/RecordUsage", "/RecordUsageBatch")):
            if method.endswith("/RecordUsage"):
                ids = [pb.RecordUsageRequest.FromString(request).event.event_id]
            else:
                ids = [e.event_id for e in pb.RecordUsageBatchRequest.FromString(request).events]
            remaining = context.time_remaining()
            with self._lock:
                index = len(self.attempts)
                self.attempts.append(Attempt(ids, metadata.get("authorization"),
                                             None if remaining is None else remaining * 1000))  # fmt: skip
                if index < len(self._faults):
                    action = self._faults[index]
        if action.startswith("stall:"):
            time.sleep(int(action.split(":")[1]) / 1000)  # the client gave up; deliver it late anyway
            action = "forward"
        if action != "forward":
            context.abort(grpc.StatusCode[action], "injected by the conformance proxy")
        forwarded = tuple((k, v) for k, v in metadata.items() if k == "authorization")
        forward = self._channel.unary_unary(method, request_serializer=None, response_deserializer=None)
        try:
            answer: bytes = forward(request, metadata=forwarded, timeout=10)
        except grpc.RpcError as exc:
            context.abort(exc.code(), exc.details() or "")
        return answer

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop(0)
        self._channel.close()


class UnixSidecar(SidecarProcess):
    """A `serve` listening on a Unix socket."""

    def __init__(self, db: Path, emulator_url: str, path: Path, *args: str) -> None:
        super().__init__(db, emulator_url, *args, "--listen", f"unix://{path}")
        self.path = path
        self.target = f"unix://{path}"

    def start(self, extra_env: dict[str, str] | None = None) -> None:
        """Start and wait until the socket answers."""
        with self.log.open("ab") as log:
            argv, env = python_m("metering_sidecar", ["serve", *self.args], _env(extra_env))
            self.proc = subprocess.Popen(argv, stdout=log, stderr=log, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-2000:]
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(str(self.path))
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("sidecar did not start")


@dataclass
class Stack:
    """One sidecar and the proxy in front of it."""

    sidecar: SidecarProcess
    proxy: FaultProxy
    token: str = ""


class Environment:
    """The emulator, and one sidecar per profile the cases name, started when first needed."""

    SHORT_WINDOWS = ("--window-seconds", "2", "--close-delay-seconds", "0.3", "--flush-interval-seconds",
                     "0.2", "--max-backoff-seconds", "0.5")  # fmt: skip

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.emulator = Emulator("--dedup-seconds", "2")
        self.stacks: dict[str, Stack] = {}

    def stack(self, profile: str) -> Stack:
        """The sidecar and proxy of this profile (plain, token, unix, full)."""
        if profile not in self.stacks:
            self.stacks[profile] = self._start(profile)
        return self.stacks[profile]

    def _start(self, profile: str) -> Stack:
        db = self.tmp / f"{profile}.db"
        token = ""
        if profile == "plain":
            sidecar = SidecarProcess(db, self.emulator.url, *self.SHORT_WINDOWS)
        elif profile == "token":
            token = uuid.uuid4().hex
            (self.tmp / "token").write_text(token + "\n")
            sidecar = SidecarProcess(db, self.emulator.url, *self.SHORT_WINDOWS, "--api-token-file",
                                     str(self.tmp / "token"))  # fmt: skip
        elif profile == "unix":
            sidecar = UnixSidecar(db, self.emulator.url, self.tmp / "sidecar.sock", *self.SHORT_WINDOWS)
        elif profile == "full":
            # Hour-long windows: the one pending event stays pending, so the buffer stays full.
            sidecar = SidecarProcess(db, self.emulator.url, "--max-pending-events", "1")
        else:
            raise ValueError(profile)
        sidecar.start()
        if profile == "full":
            with grpc.insecure_channel(sidecar.target) as channel:
                pb_grpc.MeteringSidecarStub(channel).RecordUsage(
                    pb.RecordUsageRequest(event=pb.UsageEvent(customer_aws_account_id="999988887777",
                                                              dimension="filler", quantity=1)),
                    timeout=10,
                )  # fmt: skip
        listen = f"unix://{self.tmp / 'proxy.sock'}" if profile == "unix" else "127.0.0.1:0"
        return Stack(sidecar, FaultProxy(sidecar.target, listen), token)

    def stop(self) -> None:
        """Stop every process."""
        for stack in self.stacks.values():
            stack.proxy.stop()
            if stack.sidecar.proc and stack.sidecar.proc.poll() is None:
                stack.sidecar.kill()
        self.emulator.stop()


class Runner:
    """One client's conformance runner: a long-lived process answering one JSON line per request."""

    def __init__(self, command: list[str], cwd: Path = ROOT) -> None:
        self.proc = subprocess.Popen(command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=unmeasured_env())  # fmt: skip

    def ask(self, request: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
        """Send one request and wait for its result."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.proc.kill()
            stderr = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"runner gave no answer: {stderr[-3000:]}")
        result: dict[str, Any] = json.loads(line)
        return result

    def stop(self) -> None:
        """Close stdin; the runner exits."""
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe:
                pipe.close()


def _substitute(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [_substitute(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, names) for k, v in value.items()}
    return value


def _check_attempts(expect: dict[str, Any], attempts: list[Attempt], result: dict[str, Any]) -> None:
    wanted = expect.get("attempts")
    if isinstance(wanted, int):
        assert len(attempts) == wanted, f"{len(attempts)} attempts, expected {wanted}"
    elif isinstance(wanted, dict):
        assert len(attempts) >= wanted["min"], f"{len(attempts)} attempts, expected at least {wanted['min']}"
    for attempt in attempts:
        # Every attempt carries a deadline: the per-attempt timeout, or the call's own when sooner.
        assert attempt.deadline_ms is not None, "an attempt without a deadline"
        if "max_attempt_deadline_ms" in expect:
            assert attempt.deadline_ms <= expect["max_attempt_deadline_ms"] + SLACK_MS, attempt
        if "min_attempt_deadline_ms" in expect:
            assert attempt.deadline_ms >= expect["min_attempt_deadline_ms"], attempt
    if not attempts:
        return
    first = attempts[0].event_ids
    assert all(a.event_ids == first for a in attempts), f"event ids changed between attempts: {attempts}"
    assert all(first), f"an event without an id reached the sidecar: {first}"
    assert len(set(first)) == len(first), f"a batch's events share an id: {first}"
    reported = result.get("event_ids") or []
    if expect.get("event_id") == "generated":
        assert all(UUID.match(i) for i in first), f"generated ids are not UUIDs: {first}"
    for sent, seen in zip(reported, first, strict=False):
        assert sent in (None, seen), f"the client reported {sent}, the sidecar got {seen}"
    if "bearer_token" in expect:
        tokens = {a.authorization for a in attempts}
        if expect["bearer_token"]:
            assert all(t and t.startswith("Bearer ") for t in tokens), tokens
        else:
            assert tokens == {None}, tokens


def _billed(emulator: Emulator, dimension: str, within: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        records = [r for r in emulator.get("/_emulator/billed") if r["dimension"] == dimension]
        if records or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(records) == 1, f"billed for {dimension}: {records}"
    record: dict[str, Any] = records[0]
    return record


def run_case(name: str, case: dict[str, Any], language: str, env: Environment, runner: Runner) -> None:
    """Run every step of a case through one client's runner and check the outcomes."""
    stack = env.stack(case["sidecar"])
    names = {"$ID": f"{language}-{name[:2]}-{uuid.uuid4().hex[:12]}", "$TOKEN": stack.token}
    suffix = f"_{language}"
    for number, step in enumerate(case["steps"]):
        call = _substitute(step["call"], names)
        for usage in call["usages"]:
            usage["dimension"] += suffix
        client = {**DEFAULT_CLIENT, **case.get("client", {}), **_substitute(step.get("client", {}), names)}
        stack.proxy.arm(step.get("faults", []))
        result = runner.ask({"target": stack.proxy.target, "client": client, "call": call})
        expect = step["expect"]
        where = f"{name} step {number} ({language}): {result}"
        assert result["outcome"] == expect["outcome"], where
        try:
            _check_attempts(expect, stack.proxy.recorded(), result)
        except AssertionError as exc:
            raise AssertionError(f"{where}: {exc}") from None
    if "billed" in case:
        billed = case["billed"]
        record = _billed(env.emulator, billed["dimension"] + suffix)
        assert record["quantity"] == billed["quantity"], record
        if "license_arn" in billed:
            assert record["license_arn"] == billed["license_arn"], record
        if "tags" in billed:
            allocations = record["allocations"] or []
            tags = [{t["Key"]: t["Value"] for t in a.get("Tags", [])} for a in allocations]
            assert billed["tags"] in tags, record
            assert sum(a["AllocatedUsageQuantity"] for a in allocations) == billed["quantity"], record

"""The boto3 adapter and the emulator's transport faults, through real boto3 over HTTP."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import botocore.config
import botocore.exceptions
import pytest

from sidecar.emulator import EmulatorServer
from tests.conftest import ACCOUNT, PRODUCT, START, fake_session

RECORD = {"CustomerAWSAccountId": ACCOUNT, "Dimension": "requests", "Quantity": 1}


def raw_client(service: str, url: str, read_timeout: float = 0.5) -> Any:
    """Return a plain boto3 client without retries: what the emulator does, seen by the SDK itself."""
    config = botocore.config.Config(
        retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=read_timeout, connect_timeout=2
    )
    return fake_session().client(service, endpoint_url=url, region_name="us-east-1", config=config)


def post_faults(url: str, **values: Any) -> dict[str, Any]:
    """Change faults over the emulator's admin API, as a test in another process would."""
    request = urllib.request.Request(
        url + "/_emulator/faults", data=json.dumps(values).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        answer: dict[str, Any] = json.load(response)
        return answer


def wait_until(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Poll ``condition`` until it holds (a bound against hanging, not a timing assertion)."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.02)


def test_hang_fault_holds_every_call_unanswered(emulator: EmulatorServer) -> None:
    """{"hang": true}: metering, resolve and entitlement calls time out in boto3 and nothing is billed."""
    emulator.state.add_tokens({"tok-h": {"CustomerAWSAccountId": ACCOUNT, "ProductCode": PRODUCT}})
    assert post_faults(emulator.url, hang=True)["faults"]["hang"] is True
    metering = raw_client("meteringmarketplace", emulator.url)
    entitlement = raw_client("marketplace-entitlement", emulator.url)
    calls: list[Callable[[], Any]] = [
        lambda: metering.batch_meter_usage(
            ProductCode=PRODUCT, UsageRecords=[{**RECORD, "Timestamp": START}]
        ),
        lambda: metering.resolve_customer(RegistrationToken="tok-h"),
        lambda: entitlement.get_entitlements(ProductCode=PRODUCT),
    ]
    for call in calls:
        with pytest.raises(botocore.exceptions.ReadTimeoutError):
            call()
    stats = emulator.state.stats
    assert stats.hung == 3
    # Held calls are never read nor acted on: nothing billed, no token resolved, no operation counted.
    assert (stats.calls, stats.resolve_calls, stats.entitlement_calls) == (0, 0, 0)
    assert emulator.state.billed() == []
    post_faults(emulator.url, hang=False)
    # Healed: the same token still resolves, which it would not had the held call been acted on.
    assert metering.resolve_customer(RegistrationToken="tok-h")["CustomerAWSAccountId"] == ACCOUNT


def test_clearing_hang_closes_held_connections_without_an_answer(emulator: EmulatorServer) -> None:
    """A call held by the hang fault gets no bytes at all; clearing the fault closes its connection."""
    emulator.state.update_faults({"hang": True})
    host, port = emulator.url.removeprefix("http://").split(":")
    body = json.dumps({"ProductCode": PRODUCT, "UsageRecords": [{**RECORD, "Timestamp": START}]}).encode()
    request = (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
        b"X-Amz-Target: AWSMPMeteringService.BatchMeterUsage\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        wait_until(lambda: emulator.state.stats.hung == 1)
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(1)  # held: not a byte of an answer
        received: list[bytes] = []
        reader = threading.Thread(target=lambda: received.append(_read_all(sock)))
        reader.start()
        emulator.state.update_faults({"hang": False})
        reader.join(10)
        assert received == [b""]  # closed, never answered
    assert emulator.state.stats.calls == 0
    assert emulator.state.billed() == []


def _read_all(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


def test_stopping_the_emulator_releases_held_calls(emulator: EmulatorServer) -> None:
    """A server stopped while calls are held ends them unanswered instead of leaving threads behind."""
    emulator.state.update_faults({"hang": True})
    client = raw_client("meteringmarketplace", emulator.url, read_timeout=10)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.resolve_customer(RegistrationToken="tok-x")
        except BaseException as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    wait_until(lambda: emulator.state.stats.hung == 1)
    emulator.stop()
    caller.join(10)
    assert not caller.is_alive()
    assert len(errors) == 1
    assert isinstance(errors[0], botocore.exceptions.BotoCoreError)


def test_emulator_command_can_start_hung() -> None:
    """`metering-sidecar emulator --hang` starts with every AWS call held; the admin API still answers."""
    from tests.procs import Emulator

    process = Emulator("--hang")
    try:
        assert process.get("/_emulator/stats")["faults"]["hang"] is True
        with pytest.raises(botocore.exceptions.ReadTimeoutError):
            raw_client("meteringmarketplace", process.url).resolve_customer(RegistrationToken="t")
        process.faults(hang=False)
        assert process.get("/_emulator/stats")["stats"]["hung"] == 1
    finally:
        process.stop()

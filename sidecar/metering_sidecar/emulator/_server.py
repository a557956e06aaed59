"""The emulator's HTTP face: AWS JSON 1.1 on POST / and Smithy RPC v2 CBOR on POST /service/S/operation/O
(botocore picks CBOR for the entitlement service), plus a small admin API under /_emulator/.

Admin API:
    GET  /_emulator/billed        every billed record (JSON list)
    GET  /_emulator/stats         counters and faults in force
    POST /_emulator/faults        change faults, e.g. {"throttle_rate": 0.3, "outage": true}; {"hang": true}
                                  holds every AWS call unanswered until {"hang": false} closes them
    POST /_emulator/tokens        add registration tokens: {"TOKEN": {"CustomerAWSAccountId": ...}}
    POST /_emulator/entitlements  replace the entitlements: [{"ProductCode": ..., "Dimension": ...}]

The Azure side (``/api/...`` and its admin API under ``/_emulator/azure/``) shares this port; its Entra ID
token endpoint has a TLS port of its own. See emulator/_azure_server.py.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import cbor2

from metering_sidecar.core import stop_now
from metering_sidecar.emulator import _azure_server as azure_http
from metering_sidecar.emulator._azure_rules import AzureState
from metering_sidecar.emulator._azure_tls import TlsUnavailable
from metering_sidecar.emulator._model import ApiError, DropConnection
from metering_sidecar.emulator._rules import MeteringState

log = logging.getLogger("sidecar.emulator")

_OPERATIONS = {
    "AWSMPMeteringService.BatchMeterUsage": "batch_meter_usage",
    "AWSMPMeteringService.ResolveCustomer": "resolve_customer",
    "AWSMPEntitlementService.GetEntitlements": "get_entitlements",
}


def _json_default(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    raise TypeError(f"cannot encode {type(value).__name__}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("emulator: " + format, *args)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload: Any, content_type: str = "application/x-amz-json-1.1") -> None:
        cbor = content_type == "application/cbor"
        data = (
            cbor2.dumps(payload, datetime_as_timestamp=True)
            if cbor
            else json.dumps(payload, default=_json_default).encode()
        )
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if cbor:
            self.send_header("smithy-protocol", "rpc-v2-cbor")
        if status >= 400:
            self.send_header("x-amzn-ErrorType", str(payload.get("__type", "")))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        state = self.server.state
        if azure_http.is_azure_path(self.path):
            azure_http.handle(self, self.server.azure, lambda: self.server.stopping)
        elif self.path == "/_emulator/billed":
            self._send(200, state.billed(), "application/json")
        elif self.path == "/_emulator/stats":
            self._send(200, state.snapshot(), "application/json")
        else:
            self._send(404, {"__type": "NotFound", "message": self.path}, "application/json")

    def _close_unanswered(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_POST(self) -> None:
        state = self.server.state
        if azure_http.is_azure_path(self.path):
            azure_http.handle(self, self.server.azure, lambda: self.server.stopping)
            return
        if self.path.startswith("/_emulator/"):
            self._admin(self._body())
            return
        with state.serving():
            self._aws_call(state)

    def _aws_call(self, state: MeteringState) -> None:
        if state.hold_if_hung(self.connection, lambda: self.server.stopping):
            # A hung AWS: the call was accepted on TCP but is neither read nor acted on, and its
            # connection closes without an answer once the fault is cleared.
            self._close_unanswered()
            return
        raw = self._body()
        content_type = "application/x-amz-json-1.1"
        if self.path.startswith("/service/"):
            # Smithy RPC v2 CBOR: /service/{service}/operation/{operation}
            parts = self.path.strip("/").split("/")
            target = f"{parts[1]}.{parts[3]}" if len(parts) == 4 else self.path
            content_type = "application/cbor"
        else:
            target = self.headers.get("X-Amz-Target", "")
        operation = _OPERATIONS.get(target)
        if operation is not None:
            state.stats.protocols[operation] = "cbor" if content_type == "application/cbor" else "json"
        if operation is None:
            self._send(
                400,
                {"__type": "UnknownOperationException", "message": f"unknown target {target!r}"},
                content_type,
            )
            return
        if state.faults.delay_seconds:
            time.sleep(
                state.faults.delay_seconds
            )  # a slow AWS: the call still lands, perhaps after the caller gave up
        try:
            if content_type == "application/cbor":
                body = cbor2.loads(raw) if raw else {}
            else:
                body = json.loads(raw or b"{}")
            answer = getattr(state, operation)(body, len(raw))
        except ApiError as exc:
            self._send(exc.status, {"__type": exc.code, "message": exc.message}, content_type)
            return
        except DropConnection:
            # The call was billed; the caller never hears so. Its identical retry must be safe.
            self._close_unanswered()
            return
        except (ValueError, TypeError, KeyError, AttributeError, cbor2.CBORDecodeError) as exc:
            self._send(400, {"__type": "SerializationException", "message": str(exc)}, content_type)
            return
        self._send(200, answer, content_type)

    def _admin(self, raw: bytes) -> None:
        state = self.server.state
        try:
            payload = json.loads(raw or b"{}")
            if self.path == "/_emulator/faults":
                state.update_faults(payload)
            elif self.path == "/_emulator/tokens":
                state.add_tokens(payload)
            elif self.path == "/_emulator/entitlements":
                state.set_entitlements(payload)
            else:
                self._send(404, {"__type": "NotFound", "message": self.path}, "application/json")
                return
        except (ApiError, ValueError, TypeError, AttributeError) as exc:
            self._send(400, {"__type": "ValidationException", "message": str(exc)}, "application/json")
            return
        self._send(200, state.snapshot(), "application/json")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: MeteringState, azure: AzureState) -> None:
        self.state = state
        self.azure = azure
        self.stopping = False
        super().__init__(address, _Handler)


class EmulatorServer:
    """The emulator on a background thread; ``async with`` or start()/stop().

    It emulates AWS and Azure on one port (``url``); Azure's Entra ID token endpoint runs over TLS on a
    port of its own (``azure_authority_host``, trusting ``azure_ca_path``). ``azure_token_endpoint``:
    True starts it (and fails without the ``cryptography`` package), False never does, None starts it
    when ``cryptography`` is installed (the ``azure`` extra).
    """

    def __init__(
        self,
        state: MeteringState | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        azure: AzureState | None = None,
        azure_token_endpoint: bool | None = None,
    ) -> None:
        self.state = state or MeteringState()
        self.azure = azure or AzureState(clock=self.state.clock)
        self._host = host
        self._server = _Server((host, port), self.state, self.azure)
        self._thread: threading.Thread | None = None
        self._want_token_endpoint = azure_token_endpoint
        self._token_server: azure_http.TokenServer | None = None

    @property
    def url(self) -> str:
        """Return the base URL, e.g. http://127.0.0.1:4566."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def azure_api_url(self) -> str:
        """Return the Azure Marketplace API base (metering and fulfillment), e.g. http://127.0.0.1:4566/api."""
        return f"{self.url}/api"

    @property
    def azure_authority_host(self) -> str:
        """Return the Entra ID authority host (https://127.0.0.1:PORT), or "" when it is not running."""
        return self._token_server.url if self._token_server else ""

    @property
    def azure_ca_path(self) -> str:
        """Return the CA file to trust for the authority host, or "" when it is not running."""
        return str(self._token_server.ca_path) if self._token_server else ""

    def start(self) -> EmulatorServer:
        """Serve on a daemon thread."""
        self._start_token_endpoint()
        self._thread = threading.Thread(target=self._server.serve_forever, name="emulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on this thread until stopped."""
        self._start_token_endpoint()
        self._server.serve_forever()

    def _start_token_endpoint(self) -> None:
        if self._want_token_endpoint is False or self._token_server is not None:
            return
        try:
            self._token_server = azure_http.TokenServer(self.azure, self._host).start()
        except TlsUnavailable:
            if self._want_token_endpoint:
                raise
            log.info("emulated Entra ID not started: the 'cryptography' package is not installed")

    def stop(self) -> None:
        """Stop serving; safe to call twice."""
        self._server.stopping = True
        self.state.wake_hung()  # hung calls end unanswered instead of outliving the server
        self.azure.wake_hung()
        stop_now(self._server, self._thread)
        self._thread = None
        self._server.server_close()
        if self._token_server is not None:
            self._token_server.stop()
            self._token_server = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

"""The emulated Azure Marketplace over HTTP: its API and admin routes on the emulator's port, and the Entra
ID token endpoint on a TLS port of its own.

On the emulator's port (plain HTTP, beside the AWS routes):
    POST /api/batchUsageEvent?api-version=2018-08-31
    POST /api/saas/subscriptions/resolve?api-version=2018-08-31      (header x-ms-marketplace-token)
    POST /api/saas/subscriptions/{id}/activate?api-version=2018-08-31
    GET  /api/saas/subscriptions/{id}?api-version=2018-08-31
Each needs ``Authorization: Bearer <token from the token endpoint>`` (403 otherwise).

Admin API, under /_emulator/azure/ (every POST answers the stats and faults):
    GET  billed          every accepted usage event (JSON list)
    GET  stats           counters and faults in force
    GET  issued-tokens   every access token the token endpoint issued (tests check that none reaches a log)
    POST faults          e.g. {"throttle_rate": 0.3, "drop_next": 1, "hang": true, "forbidden": true}
    POST subscriptions   add or replace SaaS subscriptions: {"<id>": {"planId": "p", "status": "Subscribed",
                         "quantity": 3, "clientId": "<app>", "purchaserTenantId": "...", "unsubscribedAt": 1.0}}
    POST plans           declare plans' dimensions: {"<plan>": ["dim1", "dim2"]}
    POST tokens          landing page tokens: {"<token>": "<subscription id>" or {"id": ..., fields as above}}
    POST clients         Entra apps: {"<client id>": "<secret>", or "" for certificate / workload identity}
    POST revoke          invalidate every issued access token (the next call with one answers 403)

On the token port (HTTPS, certificate made at start; trust ``ca_path``):
    GET  /{tenant}/v2.0/.well-known/openid-configuration
    POST /{tenant}/oauth2/v2.0/token      grant_type=client_credentials
"""

from __future__ import annotations

import json
import logging
import re
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from metering_sidecar.core import stop_now
from metering_sidecar.emulator._azure_entra import TokenRefused
from metering_sidecar.emulator._azure_rules import API_VERSION, AzureState
from metering_sidecar.emulator._azure_tls import TlsFiles, make_tls_files
from metering_sidecar.emulator._model import ApiError, DropConnection

log = logging.getLogger("sidecar.emulator")

_SUBSCRIPTION = re.compile(r"^/api/saas/subscriptions/([^/]+)$")
_ACTIVATE = re.compile(r"^/api/saas/subscriptions/([^/]+)/activate$")
_OPENID = re.compile(r"^/([^/]+)/v2\.0/\.well-known/openid-configuration$")
_TOKEN = re.compile(r"^/([^/]+)/oauth2/v2\.0/token$")


def is_azure_path(path: str) -> bool:
    """Return whether a request path belongs to the Azure side."""
    return path.startswith(("/api/", "/_emulator/azure/"))


def handle(handler: BaseHTTPRequestHandler, state: AzureState, stopping: Callable[[], bool]) -> None:
    """Answer one request to an Azure path on the emulator's port."""
    url = urlsplit(handler.path)
    if url.path.startswith("/_emulator/azure/"):
        _admin(handler, state, url.path.removeprefix("/_emulator/azure/"))
        return
    if state.hold_if_hung(handler.connection, stopping):
        # A hung Azure: accepted on TCP, never read nor acted on, closed unanswered once cleared.
        _close_unanswered(handler)
        return
    raw = _body(handler)
    try:
        answer = _api(handler, state, url.path, parse_qs(url.query), raw)
    except ApiError as exc:
        _send(handler, exc.status, {"code": exc.code, "message": exc.message})
        return
    except DropConnection:
        _close_unanswered(handler)
        return
    except (ValueError, TypeError, AttributeError) as exc:
        _send(handler, 400, {"code": "BadArgument", "message": f"The request body is not valid: {exc}"})
        return
    _send(handler, 200, answer)


def _api(
    handler: BaseHTTPRequestHandler, state: AzureState, path: str, query: dict[str, list[str]], raw: bytes
) -> Any:
    if query.get("api-version") != [API_VERSION]:
        raise ApiError("BadArgument", f"The query parameter api-version={API_VERSION} is required.")
    client = state.authenticate(handler.headers.get("Authorization", ""))
    if state.faults.delay_seconds:
        time.sleep(state.faults.delay_seconds)  # a slow Azure: the call still lands, perhaps too late
    method = handler.command
    body = json.loads(raw, parse_float=Decimal) if raw else {}
    if method == "POST" and path == "/api/batchUsageEvent":
        return state.batch_usage_event(client, body)
    if method == "POST" and path == "/api/saas/subscriptions/resolve":
        return state.resolve(client, handler.headers.get("x-ms-marketplace-token", ""))
    if method == "POST" and (match := _ACTIVATE.match(path)):
        state.activate(client, unquote(match.group(1)), body)
        return None
    if method == "GET" and (match := _SUBSCRIPTION.match(path)):
        return state.get_subscription(client, unquote(match.group(1)))
    raise ApiError("NotFound", f"no Azure route {method} {path}", 404)


def _admin(handler: BaseHTTPRequestHandler, state: AzureState, name: str) -> None:
    if handler.command == "GET":
        if name == "billed":
            _send(handler, 200, state.billed())
        elif name == "stats":
            _send(handler, 200, state.snapshot())
        elif name == "issued-tokens":
            _send(handler, 200, state.issued_tokens())
        else:
            _send(handler, 404, {"code": "NotFound", "message": handler.path})
        return
    actions: dict[str, Callable[[Any], Any]] = {
        "faults": state.update_faults,
        "subscriptions": state.set_subscriptions,
        "plans": state.set_plans,
        "tokens": state.add_marketplace_tokens,
        "clients": state.set_clients,
        "revoke": lambda _: state.revoke_tokens(),
    }
    action = actions.get(name)
    if action is None:
        _send(handler, 404, {"code": "NotFound", "message": handler.path})
        return
    try:
        action(json.loads(_body(handler) or b"{}"))
    except (ApiError, ValueError, TypeError, AttributeError) as exc:
        _send(handler, 400, {"code": "BadArgument", "message": str(exc)})
        return
    _send(handler, 200, state.snapshot())


def _body(handler: BaseHTTPRequestHandler) -> bytes:
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _send(handler: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
    data = b"" if payload is None else json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(len(data)))
    for name in ("x-ms-requestid", "x-ms-correlationid"):
        if handler.headers.get(name):
            handler.send_header(name, handler.headers[name])
    if status == 429:
        handler.send_header("Retry-After", "1")
    handler.end_headers()
    handler.wfile.write(data)


def _close_unanswered(handler: BaseHTTPRequestHandler) -> None:
    handler.close_connection = True
    try:
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _TokenHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _TokenHttpServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("emulator (Entra ID): " + format, *args)

    def do_GET(self) -> None:
        match = _OPENID.match(urlsplit(self.path).path)
        if match is None:
            _send(self, 404, {"error": "not_found", "error_description": self.path})
            return
        _send(self, 200, AzureState.openid_configuration(self.server.base_url, match.group(1)))

    def do_POST(self) -> None:
        if _TOKEN.match(urlsplit(self.path).path) is None:
            _send(self, 404, {"error": "not_found", "error_description": self.path})
            return
        form = {k: v[-1] for k, v in parse_qs(_body(self).decode("utf-8", "replace")).items()}
        try:
            answer = self.server.state.issue_token(form)
        except TokenRefused as exc:
            _send(self, exc.status, {"error": exc.error, "error_description": exc.description})
            return
        _send(self, 200, answer)


class _TokenHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: AzureState, tls: TlsFiles) -> None:
        self.state = state
        super().__init__(address, _TokenHandler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2  # Microsoft refuses anything older too
        context.load_cert_chain(tls.cert_path, tls.key_path)
        # The handshake happens on the request's own thread, so a slow client cannot stall accept().
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        host, port = self.server_address[:2]
        self.base_url = f"https://{host!s}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-handshake (or the stop wake-up connection) is not worth a traceback.
        log.debug("emulator (Entra ID): connection from %s failed", client_address, exc_info=True)


class TokenServer:
    """The emulated Entra ID token endpoint over TLS, with a certificate authority made for it."""

    def __init__(self, state: AzureState, host: str = "127.0.0.1", port: int = 0) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="emulator-entra-")
        self.tls = make_tls_files(Path(self._folder.name))
        self._server = _TokenHttpServer((host, port), state, self.tls)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Return the authority host to give azure-identity, e.g. https://127.0.0.1:4567."""
        return self._server.base_url

    @property
    def ca_path(self) -> Path:
        """Return the PEM file of the CA that signed the endpoint's certificate (for connection_verify)."""
        return self.tls.ca_path

    def start(self) -> TokenServer:
        """Serve on a daemon thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, name="emulator-entra", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; safe to call twice."""
        stop_now(self._server, self._thread)
        self._thread = None
        self._server.server_close()
        self._folder.cleanup()

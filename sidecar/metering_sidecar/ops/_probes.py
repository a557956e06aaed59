"""The HTTP port: /metrics (Prometheus text), /healthz/live and /healthz/ready. No token needed.

It runs on its own thread so that a stuck event loop is seen as one: /healthz/live asks the loop to
answer and fails when it does not.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST

from metering_sidecar.core import stop_now
from metering_sidecar.ops._health import Health
from metering_sidecar.ops._metrics import Metrics

log = logging.getLogger("sidecar.probes")


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: " + format, *args)

    def _answer(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._answer(200, self.server.metrics.render(), CONTENT_TYPE_LATEST)
        elif path == "/healthz/live":
            ok = self.server.health.live()
            self._answer(200 if ok else 503, b"ok\n" if ok else b"event loop or flusher not answering\n")
        elif path == "/healthz/ready":
            ok = self.server.health.serving
            self._answer(200 if ok else 503, b"ok\n" if ok else b"not ready: cannot take usage\n")
        else:
            self._answer(404, b"not found: try /metrics, /healthz/live or /healthz/ready\n")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], health: Health, metrics: Metrics) -> None:
        self.health = health
        self.metrics = metrics
        super().__init__(address, _Handler)


class ProbeServer:
    """The metrics and probe HTTP server on a daemon thread."""

    def __init__(self, host: str, port: int, health: Health, metrics: Metrics) -> None:
        self._server = _Server((host, port), health, metrics)
        self._thread = threading.Thread(target=self._server.serve_forever, name="probes", daemon=True)

    @property
    def port(self) -> int:
        """Return the bound port."""
        return int(self._server.server_address[1])

    def start(self) -> ProbeServer:
        """Serve in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; safe to call twice."""
        stop_now(self._server, self._thread)
        self._server.server_close()

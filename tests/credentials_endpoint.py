"""A container-credentials endpoint on loopback, as EKS Pod Identity and ECS serve it to the AWS SDK
(AWS_CONTAINER_CREDENTIALS_FULL_URI), that can be told to fail."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

ACCESS_KEY_ID = "ASIATESTCREDENTIAL01"
SECRET_ACCESS_KEY = "secret-access-key-never-logged-0123456789"
SESSION_TOKEN = "session-token-never-logged-abcdefghijklmnopqrstuvwxyz"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        endpoint = self.server.endpoint
        with endpoint.lock:
            failing = endpoint.failing
            expires_in = endpoint.expires_in
            endpoint.requests += 1
            endpoint.failed += failing
        if failing:
            # A broken agent that even echoes a secret in its error body: none of it may reach a log.
            body = json.dumps({"message": "agent unavailable", "SecretAccessKey": SECRET_ACCESS_KEY}).encode()
            status = 500
        else:
            expiration = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=expires_in)
            body = json.dumps({
                "AccessKeyId": ACCESS_KEY_ID,
                "SecretAccessKey": SECRET_ACCESS_KEY,
                "Token": SESSION_TOKEN,
                "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }).encode()  # fmt: skip
            status = 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, endpoint: CredentialsEndpoint) -> None:
        self.endpoint = endpoint
        super().__init__(("127.0.0.1", 0), _Handler)


class CredentialsEndpoint:
    """Serves credentials, or 500 while ``failing``; ``expires_in`` under 10 minutes makes the SDK
    refresh on every call, so a failure shows at once, as an expiring role does."""

    def __init__(self, *, failing: bool = False, expires_in: float = 3600.0) -> None:
        self.lock = threading.Lock()
        self.failing = failing
        self.expires_in = expires_in
        self.requests = 0
        self.failed = 0
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Return the full URI for AWS_CONTAINER_CREDENTIALS_FULL_URI."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1/credentials"

    def set(self, *, failing: bool, expires_in: float | None = None) -> None:
        """Start or stop failing; optionally change how long served credentials last."""
        with self.lock:
            self.failing = failing
            if expires_in is not None:
                self.expires_in = expires_in

    def env(self) -> dict[str, str]:
        """Return the env that points the SDK's chain here and nowhere else."""
        return {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": self.url,
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
            "AWS_CONFIG_FILE": "/nonexistent/config",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def __enter__(self) -> CredentialsEndpoint:
        self._thread.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

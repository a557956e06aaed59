"""Domain errors become gRPC status codes here, and only here."""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc

from metering_sidecar.core import (
    ConfigError,
    ConflictingEvent,
    InvalidUsage,
    LedgerError,
    NotFound,
    Refused,
    RemoteError,
    SidecarError,
    StorageError,
    StorageFull,
)

log = logging.getLogger("sidecar.api")

_CODES: tuple[tuple[type[SidecarError], grpc.StatusCode], ...] = (
    (InvalidUsage, grpc.StatusCode.INVALID_ARGUMENT),
    (ConflictingEvent, grpc.StatusCode.ALREADY_EXISTS),
    (StorageFull, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (StorageError, grpc.StatusCode.UNAVAILABLE),
    (RemoteError, grpc.StatusCode.UNAVAILABLE),
    (LedgerError, grpc.StatusCode.UNAVAILABLE),
    (ConfigError, grpc.StatusCode.FAILED_PRECONDITION),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (Refused, grpc.StatusCode.FAILED_PRECONDITION),
)


def status_for(error: SidecarError) -> grpc.StatusCode:
    """Return the gRPC status code for a domain error."""
    if isinstance(error, RemoteError) and error.code == "DeadlineExceeded":
        return grpc.StatusCode.DEADLINE_EXCEEDED
    for kind, code in _CODES:
        if isinstance(error, kind):
            return code
    return grpc.StatusCode.INTERNAL


Request = TypeVar("Request")
Response = TypeVar("Response")
Handler = Callable[[Any, Request, grpc.aio.ServicerContext[Any, Any]], Awaitable[Response]]


def map_errors(handler: Handler[Request, Response]) -> Handler[Request, Response]:
    """Abort the RPC with the mapped status when the handler raises a SidecarError."""

    @functools.wraps(handler)
    async def wrapper(self: Any, request: Request, context: grpc.aio.ServicerContext[Any, Any]) -> Response:
        try:
            return await handler(self, request, context)
        except SidecarError as exc:
            code = status_for(exc)
            if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED):
                log.warning("request refused", extra={"fields": {"code": code.name, "error": str(exc)}})
            await context.abort(code, str(exc))
            raise AssertionError("unreachable: abort raises") from exc
        except sqlite3.Error as exc:
            # The store maps the failures of its writes; a read that fails (a damaged or tampered-with
            # database) must not reach the caller as UNKNOWN with a Python class name in it.
            message = (
                f"the sidecar's database failed to read: {exc}. If it persists the database file may be "
                "damaged: restart the sidecar, which checks the file at start-up and says what to do"
            )
            log.error("database read failed", extra={"fields": {"error": str(exc)}})
            await context.abort(grpc.StatusCode.UNAVAILABLE, message)
            raise AssertionError("unreachable: abort raises") from exc

    return wrapper

"""Batcher and AsyncBatcher: group events and send them through RecordUsageBatch by size or time.

A batch never grows past the sidecar's message size limit or 1000 events. When the sidecar refuses
one event (INVALID_ARGUMENT or ALREADY_EXISTS, with ``events[i]`` in the message), that event is
reported to ``on_rejected`` and the rest of the batch is sent again: batches are all-or-nothing, so
nothing of the refused batch was stored.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

import grpc

from metering_sidecar_client._client import AsyncMeteringClient, MeteringClient
from metering_sidecar_client._retry import DEFAULT_MAX_MESSAGE_BYTES
from metering_sidecar_client._usage import Usage

log = logging.getLogger("metering_sidecar_client")
MAX_BATCH_EVENTS = 1000
_ENVELOPE_BYTES = 1024
_INDEX = re.compile(r"events\[(\d+)\]")
_REJECTED = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ALREADY_EXISTS}

Rejected = Callable[[Usage, grpc.StatusCode, str], None]


def _log_rejected(usage: Usage, code: grpc.StatusCode, details: str) -> None:
    log.error("usage event refused by the sidecar: %s %s (event_id %s)", code.name, details, usage.event_id)


def plan(usages: Sequence[Usage], max_events: int, max_bytes: int) -> tuple[list[list[Usage]], list[Usage]]:
    """Split into batches under the limits; return (batches, events too large to send at all)."""
    batches: list[list[Usage]] = []
    too_large: list[Usage] = []
    current: list[Usage] = []
    size = _ENVELOPE_BYTES
    for usage in usages:
        cost = usage.to_proto().ByteSize() + 6  # field tag and length prefix
        if cost + _ENVELOPE_BYTES > max_bytes:
            too_large.append(usage)
            continue
        if current and (len(current) >= max_events or size + cost > max_bytes):
            batches.append(current)
            current, size = [], _ENVELOPE_BYTES
        current.append(usage)
        size += cost
    if current:
        batches.append(current)
    return batches, too_large


def _refused_index(exc: grpc.RpcError, batch: Sequence[Usage]) -> int | None:
    code = exc.code()
    if code not in _REJECTED:
        return None
    match = _INDEX.search(exc.details() or "")
    if match and int(match.group(1)) < len(batch):
        return int(match.group(1))
    return 0 if len(batch) == 1 else None


class _Base:
    def __init__(self, max_events: int, max_message_bytes: int, on_rejected: Rejected | None) -> None:
        if not 1 <= max_events <= MAX_BATCH_EVENTS:
            raise ValueError(f"max_events must be 1..{MAX_BATCH_EVENTS}")
        self.max_events = max_events
        self.max_bytes = max_message_bytes
        self.on_rejected = on_rejected or _log_rejected
        self.pending: list[Usage] = []
        self.sent = 0
        self.rejected = 0

    def _reject(self, usage: Usage, code: grpc.StatusCode, details: str) -> None:
        self.rejected += 1
        self.on_rejected(usage, code, details)

    def _take(self) -> tuple[list[list[Usage]], list[Usage]]:
        taken, self.pending = self.pending, []
        batches, too_large = plan(taken, self.max_events, self.max_bytes)
        for usage in too_large:
            self._reject(
                usage, grpc.StatusCode.RESOURCE_EXHAUSTED, "event larger than the sidecar's message limit"
            )
        return batches, too_large

    def _after_refusal(self, exc: grpc.RpcError, batch: list[Usage]) -> list[Usage]:
        index = _refused_index(exc, batch)
        if index is None:
            raise exc
        self._reject(batch[index], exc.code(), exc.details() or "")
        return batch[:index] + batch[index + 1 :]


class Batcher(_Base):
    """Groups events for a blocking MeteringClient; a background thread flushes every ``flush_interval``."""

    def __init__(
        self,
        client: MeteringClient,
        *,
        max_events: int = 500,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        flush_interval: float = 1.0,
        on_rejected: Rejected | None = None,
    ) -> None:
        super().__init__(max_events, max_message_bytes, on_rejected)
        self.client = client
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(
            target=self._tick, args=(flush_interval,), daemon=True, name="batcher"
        )
        self._thread.start()

    def __enter__(self) -> Batcher:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def add(self, usage: Usage) -> None:
        """Queue one event; flushes when a batch is full."""
        with self._lock:
            self.pending.append(usage)
            full = len(self.pending) >= self.max_events
        if full:
            self.flush()

    def flush(self) -> None:
        """Send everything queued now."""
        with self._send_lock:
            with self._lock:
                batches, _ = self._take()
            for index, batch in enumerate(batches):
                try:
                    self._send(batch)
                except Exception:
                    with self._lock:  # keep what was not sent: nothing is dropped
                        self.pending[:0] = [u for b in batches[index:] for u in b]
                    raise

    def _send(self, batch: list[Usage]) -> None:
        while batch:
            try:
                self.client.record_batch(batch)
                self.sent += len(batch)
                return
            except grpc.RpcError as exc:
                batch = self._after_refusal(exc, batch)

    def _tick(self, interval: float) -> None:
        while not self._closed.wait(interval):
            try:
                self.flush()
            except grpc.RpcError as exc:
                log.warning("background flush failed; events stay queued: %s", exc)

    def close(self) -> None:
        """Stop the timer and flush what is left; safe to call twice."""
        self._closed.set()
        if self._thread.is_alive():
            self._thread.join()
        self.flush()


class AsyncBatcher(_Base):
    """Groups events for an AsyncMeteringClient; a task flushes every ``flush_interval``."""

    def __init__(
        self,
        client: AsyncMeteringClient,
        *,
        max_events: int = 500,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        flush_interval: float = 1.0,
        on_rejected: Rejected | None = None,
    ) -> None:
        super().__init__(max_events, max_message_bytes, on_rejected)
        self.client = client
        self._send_lock = asyncio.Lock()
        self._task = asyncio.get_running_loop().create_task(self._tick(flush_interval))

    async def __aenter__(self) -> AsyncBatcher:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def add(self, usage: Usage) -> None:
        """Queue one event; flushes when a batch is full."""
        self.pending.append(usage)
        if len(self.pending) >= self.max_events:
            await self.flush()

    async def flush(self) -> None:
        """Send everything queued now."""
        async with self._send_lock:
            batches, _ = self._take()
            for index, batch in enumerate(batches):
                try:
                    await self._send(batch)
                except Exception:
                    self.pending[:0] = [u for b in batches[index:] for u in b]
                    raise

    async def _send(self, batch: list[Usage]) -> None:
        while batch:
            try:
                await self.client.record_batch(batch)
                self.sent += len(batch)
                return
            except grpc.RpcError as exc:
                batch = self._after_refusal(exc, batch)

    async def _tick(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.flush()
            except grpc.RpcError as exc:
                log.warning("background flush failed; events stay queued: %s", exc)

    async def close(self) -> None:
        """Stop the timer and flush what is left; safe to call twice."""
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        await self.flush()

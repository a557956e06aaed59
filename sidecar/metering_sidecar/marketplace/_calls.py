"""Blocking marketplace calls run from asyncio: one daemon thread per call, a total deadline, a budget of calls
in flight per endpoint. Both adapters (boto3 for AWS, HTTP for Azure) run their calls through it.

Why a thread per call and not the default executor: a call to a hung endpoint blocks its thread until its
socket times out. Such threads must neither starve other work in a shared pool nor hold up the process's
exit, so they are daemons and are counted until they return; past ``max_calls_in_flight`` new calls fail
fast with a retryable RemoteError instead of piling up.

Why a total deadline: a call may make several attempts (botocore's retries; Azure's token, request, and one
more after a 403). The deadline bounds all of it; once it passes, the caller gets a retryable RemoteError at once and
the call's ticket refuses any further attempt of the abandoned call.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from metering_sidecar.core import RemoteError

T = TypeVar("T")


class DeadlinePassed(Exception):
    """Raised on a call's thread to stop an attempt of a call whose waiter gave up."""


@dataclass
class CallTicket:
    """What one call's thread and its waiter share."""

    deadline: float  # time.monotonic()
    sends: int = 0  # attempts handed to the HTTP layer
    abandoned: bool = False  # the waiter gave up: send nothing more
    lock: threading.Lock = field(default_factory=threading.Lock)

    def abandon(self) -> int:
        """Send nothing more; return how many attempts went out (none can start after this)."""
        with self.lock:
            self.abandoned = True
            return self.sends

    def may_send(self) -> bool:
        """Count an attempt about to go out, unless the waiter gave up or the deadline passed."""
        with self.lock:
            if self.abandoned or time.monotonic() >= self.deadline:
                return False
            self.sends += 1
            return True

    def claim_send(self) -> None:
        """Count an attempt about to go out, or raise DeadlinePassed."""
        if not self.may_send():
            raise DeadlinePassed()

    def remaining(self) -> float:
        """Return the seconds left before the deadline (at least a millisecond)."""
        return max(0.001, self.deadline - time.monotonic())


class CallRunner:
    """Runs blocking calls on daemon threads, each under a total deadline and an endpoint's budget."""

    def __init__(
        self,
        *,
        marketplace: str,
        call_deadline_seconds: float,
        max_calls_in_flight: int,
        deadline_code: str,
        deadline_note: str,
        in_flight_flag: str,
    ) -> None:
        self.marketplace = marketplace
        self.call_deadline = max(call_deadline_seconds, 0.001)
        self.max_calls_in_flight = max(1, max_calls_in_flight)
        self._deadline_code = deadline_code
        self._deadline_note = deadline_note
        self._in_flight_flag = in_flight_flag
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def calls_in_flight(self) -> int:
        """Return how many call threads have not returned yet (abandoned ones included)."""
        with self._lock:
            return sum(self._in_flight.values())

    async def run(self, operation: str, endpoint: str, work: Callable[[CallTicket], T]) -> T:
        """Run ``work(ticket)`` on a thread of its own and wait for it until the deadline."""
        ticket = CallTicket(deadline=time.monotonic() + self.call_deadline)
        try:
            self._reserve(operation, endpoint)
            future = self._start(ticket, operation, endpoint, work)
            try:
                return await asyncio.wait_for(future, self.call_deadline)
            except TimeoutError:
                sent = ticket.abandon()  # first: no attempt may start once it is reported unsent
                raise RemoteError(
                    self._deadline_code,
                    f"{self.marketplace} did not answer {operation} within {self.call_deadline:g} s, "
                    f"{self._deadline_note}; the call may still land",
                    retryable=True,
                    outcome_unknown=sent > 0,
                ) from None
        finally:
            # Also on cancellation (the caller's own deadline): send no further attempt.
            ticket.abandon()

    def _reserve(self, operation: str, endpoint: str) -> None:
        with self._lock:
            waiting = self._in_flight.get(endpoint, 0)
            if waiting >= self.max_calls_in_flight:
                raise RemoteError(
                    "TooManyCallsInFlight",
                    f"{waiting} calls to the {self.marketplace} {endpoint} endpoint are still waiting for an "
                    f"answer (at most {self.max_calls_in_flight}, {self._in_flight_flag}); {operation} was "
                    "not sent",
                    retryable=True,
                )
            self._in_flight[endpoint] = waiting + 1

    def _release(self, endpoint: str) -> None:
        with self._lock:
            self._in_flight[endpoint] -= 1

    def _start(
        self, ticket: CallTicket, operation: str, endpoint: str, work: Callable[[CallTicket], T]
    ) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def settle(result: T | None, error: BaseException | None) -> None:
            if future.done():  # the waiter gave up (deadline or cancellation)
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)  # type: ignore[arg-type]

        def thread() -> None:
            result: T | None = None
            error: BaseException | None = None
            try:
                result = work(ticket)
            except BaseException as exc:
                error = exc
            finally:
                self._release(endpoint)
            try:
                loop.call_soon_threadsafe(settle, result, error)
            except RuntimeError:
                pass  # the loop is closed: nobody waits for this answer any more

        name = f"{self.marketplace.lower()}-{operation}"
        try:
            threading.Thread(target=thread, name=name, daemon=True).start()
        except RuntimeError as exc:  # the OS refused another thread
            self._release(endpoint)
            raise RemoteError(
                "ThreadStartFailed", f"{operation} was not sent: {exc}", retryable=True
            ) from None
        return future

"""Customer onboarding: a registration token becomes a stored customer bound to one tenant.

Tokens expire within hours and AWS may refuse a resubmitted one, so each result is kept by the
SHA-256 of its token and repeats are answered from the store (the token itself is never stored), and
a token is sent again only when AWS surely did not act on it: a call that may have landed unanswered
ends in UNAVAILABLE saying the outcome is unknown.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Protocol

from metering_sidecar.core import Clock, Customer, InvalidUsage, Refused, RemoteError, ResolvedCustomer
from metering_sidecar.marketplace import Marketplace, with_retries
from metering_sidecar.onboarding._tokens import checked_token

log = logging.getLogger("sidecar.onboarding")
MAX_UNBOUND = 1000


class CustomerRegistry(Protocol):
    """Where customers and tenant bindings live: the local store, or PostgreSQL in cluster mode."""

    async def customer_for_token(self, token_sha256: str) -> Customer | None: ...

    async def bind_customer(
        self, resolved: ResolvedCustomer | None, token_sha256: str, tenant_id: str, now: float,
        *, known: Customer | None = None,
    ) -> tuple[Customer, bool]: ...  # fmt: skip

    async def list_customers(self, *, after_id: int, limit: int) -> list[Customer]: ...


class Onboarding:
    """ResolveCustomer with storage, tenant binding and AWS's errors mapped."""

    def __init__(self, store: CustomerRegistry, marketplace: Marketplace, clock: Clock) -> None:
        self.store = store
        self.marketplace = marketplace
        self.clock = clock
        # Token digest -> the one resolve in progress for it. It belongs to no caller: AWS's answer is
        # stored when it comes, even after every caller has given up (their deadlines, disconnects), so a
        # later call with the same token finds it instead of resending a token AWS already resolved.
        self._resolving: dict[str, asyncio.Task[tuple[Customer, bool]]] = {}
        # AWS's answers that no caller could bind (another tenant's license), kept in memory so that the
        # right tenant's call binds them without sending the token again (most recent last, bounded).
        self._unbound: OrderedDict[str, ResolvedCustomer] = OrderedDict()
        # Customers stored after their first caller gave up: the next caller hears new_customer=true, so
        # the application provisions the tenant once.
        self._unannounced: set[str] = set()

    async def resolve(self, token: str, tenant_id: str, *, within: float | None) -> tuple[Customer, bool]:
        """Return the customer for ``token`` and whether it is new; bind it to ``tenant_id``."""
        token, digest = checked_token(
            token, tenant_id, field="registration_token", source="the x-amzn-marketplace-token form field"
        )
        task = self._resolving.get(digest)
        first = task is None
        if task is None:
            # Registered before any await, so a concurrent caller for this token (a buyer's double
            # submit) always shares this one call: a second send would be refused as resubmitted.
            task = asyncio.create_task(self._resolve_and_store(token, digest, tenant_id))
            self._resolving[digest] = task
            task.add_done_callback(lambda done: self._forget(digest, done))
        announced = False
        try:
            try:
                stored, new = await asyncio.wait_for(asyncio.shield(task), within)
            except Refused:
                if first or digest not in self._unbound:
                    raise
                # The first caller's tenant could not take this license; this caller's may.
                return await self.resolve(token, tenant_id, within=within)
            except TimeoutError:
                raise RemoteError(
                    "OutcomeUnknown",
                    "AWS has not answered ResolveCustomer within this call's deadline. The sidecar keeps "
                    "waiting for the answer (up to --aws-call-deadline-seconds) and stores the customer when "
                    "it comes: call ResolveCustomer again with the same token",
                    retryable=True,
                ) from None
            customer, _ = await self.store.bind_customer(
                None, digest, tenant_id, self.clock.now(), known=stored
            )
            new = (first and new) or _pop(self._unannounced, digest)
            announced = True
        finally:
            if first and not announced:
                # This caller left (its deadline, gRPC's own, a disconnect): the next caller hears "new".
                task.add_done_callback(lambda done: self._announce_later(digest, done))
        if new:
            log.info("customer resolved", extra={"fields": {"license_arn": customer.license_arn,
                                                            "tenant_id": customer.tenant_id}})  # fmt: skip
        return customer, new

    def _announce_later(self, digest: str, done: asyncio.Task[tuple[Customer, bool]]) -> None:
        if not done.cancelled() and done.exception() is None and done.result()[1]:
            self._unannounced.add(digest)

    def _forget(self, digest: str, done: asyncio.Task[tuple[Customer, bool]]) -> None:
        if self._resolving.get(digest) is done:
            del self._resolving[digest]
        if not done.cancelled():
            done.exception()  # retrieved: a failure nobody waits for any more is not an unhandled one

    async def _resolve_and_store(self, token: str, digest: str, tenant_id: str) -> tuple[Customer, bool]:
        """Answer from the store, or ask AWS once and store its answer bound to the first caller's tenant."""
        known = await self.store.customer_for_token(digest)
        if known is not None:
            return known, False
        resolved = self._unbound.pop(digest, None) or await self._ask_aws(token)
        try:
            return await self.store.bind_customer(resolved, digest, tenant_id, self.clock.now())
        except Refused:
            self._unbound[digest] = resolved
            while len(self._unbound) > MAX_UNBOUND:
                self._unbound.popitem(last=False)
            raise

    async def _ask_aws(self, token: str) -> ResolvedCustomer:
        try:
            # At most one send per attempt AWS may have seen: retried only when AWS surely did not act.
            # The budget is the adapter's (its call deadline), not a caller's: see __init__.
            return await with_retries(
                lambda: self.marketplace.resolve_customer(registration_token=token),
                within=None,
                only_unprocessed=True,
            )
        except RemoteError as exc:
            if exc.outcome_unknown:
                log.warning("ResolveCustomer may have reached AWS without an answer; not resent",
                            extra={"fields": {"error": exc.code}})  # fmt: skip
            raise _mapped(exc) from None


def _pop(items: set[str], item: str) -> bool:
    if item in items:
        items.remove(item)
        return True
    return False


def _mapped(exc: RemoteError) -> Exception:
    if exc.outcome_unknown:
        return RemoteError(
            "OutcomeUnknown",
            f"the outcome of ResolveCustomer is unknown ({exc.code}): the call may have reached AWS, which "
            "may have resolved the token, and the sidecar did not resend it. Call ResolveCustomer again with "
            "the same token: if AWS answers, the customer is stored; if AWS says the token expired, the "
            "buyer must restart registration from AWS Marketplace",
            retryable=True,
        )
    if exc.code == "InvalidTokenException":
        return InvalidUsage("registration_token", f"AWS says the token is invalid: {exc.message}")
    if exc.code == "ExpiredTokenException":
        return Refused(
            "the registration token has expired or was already used (AWS refuses a resubmitted token): "
            "send the buyer back to AWS Marketplace to restart registration (Your Marketplace Software, "
            "then Set up your account)"
        )
    if exc.code == "DisabledApiException":
        return Refused(f"AWS says ResolveCustomer is disabled for this account or region: {exc.message}")
    return exc

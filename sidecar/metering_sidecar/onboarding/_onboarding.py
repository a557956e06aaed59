"""Customer onboarding: a registration token becomes a stored customer bound to one tenant.

Tokens expire within hours and AWS may refuse a resubmitted one, so each result is kept by the
SHA-256 of its token and repeats are answered from the store (the token itself is never stored), and
a token is sent again only when AWS surely did not act on it: a call that may have landed unanswered
ends in UNAVAILABLE saying the outcome is unknown.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Protocol

from metering_sidecar.core import Clock, Customer, InvalidUsage, Refused, RemoteError, ResolvedCustomer
from metering_sidecar.marketplace import Marketplace, with_retries

log = logging.getLogger("sidecar.onboarding")
MAX_TOKEN = 4096
MAX_TENANT = 256


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
        # Token digest -> a resolve in progress: AWS's answer, or None when it came from the store.
        self._resolving: dict[str, asyncio.Future[ResolvedCustomer | None]] = {}

    async def resolve(self, token: str, tenant_id: str, *, within: float | None) -> tuple[Customer, bool]:
        """Return the customer for ``token`` and whether it is new; bind it to ``tenant_id``."""
        token = token.strip()
        if not token:
            raise InvalidUsage(
                "registration_token", "is required: forward the x-amzn-marketplace-token form field"
            )
        if len(token) > MAX_TOKEN:
            raise InvalidUsage("registration_token", f"must be at most {MAX_TOKEN} characters")
        if len(tenant_id) > MAX_TENANT or not tenant_id.isprintable():
            raise InvalidUsage("tenant_id", f"must be at most {MAX_TENANT} printable characters")
        digest = hashlib.sha256(token.encode()).hexdigest()
        running = self._resolving.get(digest)
        if running is not None:
            # The same token is already being resolved (a buyer's double submit): share that call,
            # since a second send would be refused as a resubmitted token.
            resolved = await asyncio.shield(running)
            known = await self.store.customer_for_token(digest)
            if known is None and resolved is not None:
                # The first caller could not bind it (another tenant's license): bind it here.
                return await self.store.bind_customer(resolved, digest, tenant_id, self.clock.now())
            return await self._from_store(known, digest, tenant_id)
        # Registered before the first await, so a concurrent caller for this token always finds it.
        shared: asyncio.Future[ResolvedCustomer | None] = asyncio.get_running_loop().create_future()
        self._resolving[digest] = shared
        try:
            known = await self.store.customer_for_token(digest)
            if known is not None:
                return await self._from_store(known, digest, tenant_id)
            resolved = await self._call_aws(token, tenant_id, within, shared)
            try:
                customer, new = await self.store.bind_customer(resolved, digest, tenant_id, self.clock.now())
            finally:
                # After the bind, so waiters find the customer stored (or bind AWS's answer themselves
                # if this tenant could not), never binding alongside it.
                shared.set_result(resolved)
        except Exception as exc:
            _fail(shared, exc)  # waiters hear the same (a no-op once AWS's answer is shared)
            raise
        finally:
            del self._resolving[digest]
            if not shared.done():
                shared.set_result(None)  # answered from the store, or this caller left: waiters look there
        log.info("customer resolved", extra={"fields": {"new": new, "license_arn": customer.license_arn,
                                                        "tenant_id": customer.tenant_id}})  # fmt: skip
        return customer, new

    async def _from_store(self, known: Customer | None, digest: str, tenant_id: str) -> tuple[Customer, bool]:
        """Answer a token resolved before from the store, binding it to ``tenant_id``."""
        if known is None:  # a concurrent call for this token was cancelled before it asked AWS
            raise Refused("a concurrent ResolveCustomer for this token ended without an answer; call again")
        customer, _ = await self.store.bind_customer(None, digest, tenant_id, self.clock.now(), known=known)
        return customer, False

    async def _call_aws(
        self,
        token: str,
        tenant_id: str,
        within: float | None,
        shared: asyncio.Future[ResolvedCustomer | None],
    ) -> ResolvedCustomer:
        """Call ResolveCustomer; on failure hand the mapped error to callers sharing this call too."""
        try:
            # At most one send per attempt AWS may have seen: retried only when AWS surely did not act.
            return await with_retries(
                lambda: self.marketplace.resolve_customer(registration_token=token),
                within=within,
                only_unprocessed=True,
            )
        except RemoteError as exc:
            if exc.outcome_unknown:
                log.warning("ResolveCustomer may have reached AWS without an answer; not resent",
                            extra={"fields": {"error": exc.code, "tenant_id": tenant_id}})  # fmt: skip
            error = _mapped(exc)
            _fail(shared, error)
            raise error from None
        except asyncio.CancelledError:
            # This caller left mid-call (its deadline, a disconnect); those sharing the call cannot know
            # whether AWS acted on it either.
            _fail(shared, _mapped(RemoteError("Cancelled", "the first caller gave up", retryable=True,
                                              outcome_unknown=True)))  # fmt: skip
            raise


def _fail(shared: asyncio.Future[ResolvedCustomer | None], error: BaseException) -> None:
    if not shared.done():
        shared.set_exception(error)
        shared.exception()  # marked retrieved: there may be nobody sharing the call


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

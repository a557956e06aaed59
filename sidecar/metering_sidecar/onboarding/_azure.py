"""Azure onboarding: a landing page's marketplace token becomes a stored subscription bound to a tenant,
activated when the application is ready, and described (cached, stale while Azure fails) on request.

As for AWS, the answer to a token is kept by the token's SHA-256 (never the token) and repeats are
answered from the store; one resolve per token runs at a time, in a task of its own that stores
Azure's answer even after its caller has left. Unlike AWS, Azure does not document a token as
single-use (it stays valid for 24 hours), so a failed resolve is retried within the caller's deadline,
and resent when the caller calls again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from typing import Protocol

from metering_sidecar.core import Clock, InvalidUsage, NotFound, Refused, RemoteError
from metering_sidecar.marketplace import with_retries
from metering_sidecar.onboarding._shared import shared
from metering_sidecar.onboarding._tokens import checked_token
from metering_sidecar.targets import AzureApi, AzureBinding, AzureSubscription, subscription_id
from metering_sidecar.targets import plan_id as checked_plan_id

log = logging.getLogger("sidecar.onboarding.azure")
SUBSCRIBED = "Subscribed"
_AGAIN = (
    "ask the buyer to reopen the SaaS subscription in the Azure portal or the Microsoft 365 admin center "
    "and select Configure account again, which opens the landing page with a new token"
)


class AzureRegistry(Protocol):
    """Where Azure subscriptions and their tenant bindings live (the local store)."""

    async def subscription(self, subscription_id: str) -> AzureBinding | None: ...

    async def subscription_for_token(self, token_sha256: str) -> AzureBinding | None: ...

    async def store_resolved(
        self, subscription: AzureSubscription, token_sha256: str, now: float
    ) -> AzureBinding: ...

    async def bind_tenant(
        self, subscription_id: str, tenant_id: str, now: float
    ) -> tuple[AzureBinding, bool]: ...

    async def update(self, subscription: AzureSubscription) -> AzureBinding | None: ...


@dataclass(frozen=True, slots=True)
class AzureAnswer:
    """A subscription as Azure described it at ``fetched_at``; ``stale`` when served because Azure failed."""

    subscription: AzureSubscription
    tenant_id: str
    fetched_at: float
    stale: bool = False


def subscription_id_of(value: str) -> str:
    """Return a SaaS subscription id (a GUID) in lower case, or raise InvalidUsage."""
    return subscription_id(value, "subscription_id")


class AzureOnboarding:
    """ResolveAzureSubscription, ActivateAzureSubscription and GetAzureSubscription over an AzureApi."""

    def __init__(
        self, store: AzureRegistry, api: AzureApi, clock: Clock, *, ttl: float, max_stale: float
    ) -> None:
        self.store = store
        self.api = api
        self.clock = clock
        self.ttl = ttl
        self.max_stale = max_stale
        # Token digest -> the one resolve in progress for it, owned by no caller (see the module doc).
        self._resolving: dict[str, asyncio.Task[AzureBinding]] = {}
        self._cache: dict[str, AzureAnswer] = {}
        self._fetching: dict[str, asyncio.Future[AzureAnswer]] = {}

    # --- resolve -----------------------------------------------------------------------------------

    async def resolve(self, token: str, tenant_id: str, *, within: float | None) -> tuple[AzureBinding, bool]:
        """Return the subscription ``token`` stands for and whether it is news; bind it to ``tenant_id``."""
        token, digest = checked_token(
            token, tenant_id, field="marketplace_token", source="the ?token= value of the landing page's URL"
        )
        task = self._resolving.get(digest)
        if task is None:
            # Registered before any await, so concurrent callers with one token share one call to Azure.
            task = asyncio.create_task(self._resolve_and_store(token, digest, within))
            self._resolving[digest] = task
            task.add_done_callback(lambda done: self._forget(digest, done))
        try:
            stored = await asyncio.wait_for(asyncio.shield(task), within)
        except TimeoutError:
            raise _deadline(_RESOLVE) from None
        binding, new = await self.store.bind_tenant(
            stored.subscription.subscription_id, tenant_id, self.clock.now()
        )
        if new:
            log.info("Azure subscription resolved", extra={"fields": {
                "subscription_id": binding.subscription.subscription_id, "tenant_id": binding.tenant_id}})  # fmt: skip
        return binding, new

    def _forget(self, digest: str, done: asyncio.Task[AzureBinding]) -> None:
        if self._resolving.get(digest) is done:
            del self._resolving[digest]
        if not done.cancelled():
            done.exception()  # retrieved: a failure nobody waits for any more is not an unhandled one

    async def _resolve_and_store(self, token: str, digest: str, within: float | None) -> AzureBinding:
        known = await self.store.subscription_for_token(digest)
        if known is not None:
            return known
        try:
            subscription = await with_retries(lambda: self.api.resolve_subscription(token), within=within)
        except RemoteError as exc:
            raise _resolve_error(exc) from None
        return await self.store.store_resolved(subscription, digest, self.clock.now())

    # --- activate ----------------------------------------------------------------------------------

    async def activate(
        self, subscription_id: str, plan_id: str, quantity: int, *, within: float | None
    ) -> AzureBinding:
        """Activate a resolved subscription on ``plan_id`` (default: the resolved plan); idempotent."""
        key = subscription_id_of(subscription_id)
        if plan_id:
            checked_plan_id(plan_id, "plan_id")
        if quantity < 0:
            raise InvalidUsage("quantity", f"must be 0 (none) or a positive number of seats, got {quantity}")
        known = await self.store.subscription(key)
        if known is None:
            raise NotFound(
                f"Azure subscription {key} is unknown to this sidecar: call ResolveAzureSubscription with the "
                "landing page's token first"
            )
        current = known.subscription
        plan = plan_id or current.plan_id
        if current.status == SUBSCRIBED and current.plan_id == plan and quantity in (0, current.quantity):
            return known  # already active on this plan: nothing to send
        try:
            await with_retries(lambda: self.api.activate_subscription(key, plan, quantity), within=within)
        except RemoteError as exc:
            if exc.code != "BadRequest" or not await self._is_active(key, plan):
                raise _activate_error(exc, key, plan) from None
            # Azure refused because it is active already: an earlier activation landed (its answer lost).
        activated = dataclasses.replace(
            current, status=SUBSCRIBED, plan_id=plan, quantity=quantity or current.quantity
        )
        self._cache.pop(key, None)
        log.info("Azure subscription activated", extra={"fields": {"subscription_id": key, "plan_id": plan}})
        return await self.store.update(activated) or known

    async def _is_active(self, key: str, plan: str) -> bool:
        try:
            now = await self.api.get_subscription(key)
        except RemoteError:
            return False
        return now.status == SUBSCRIBED and now.plan_id == plan

    # --- get ---------------------------------------------------------------------------------------

    async def get(self, subscription_id: str, *, within: float | None) -> AzureAnswer:
        """Return a subscription's state, from the cache while it is fresh; stale while Azure fails."""
        key = subscription_id_of(subscription_id)
        cached = self._cache.get(key)
        if cached is not None and self.clock.now() - cached.fetched_at < self.ttl:
            return cached
        return await shared(self._fetching, key, lambda: self._refresh(key, cached, within))

    async def _refresh(self, key: str, cached: AzureAnswer | None, within: float | None) -> AzureAnswer:
        try:
            # With a cached answer to fall back on, fail fast instead of spending the caller's deadline.
            subscription = await with_retries(
                lambda: self.api.get_subscription(key), within=within, attempts=1 if cached else None
            )
        except RemoteError as exc:
            now = self.clock.now()
            if exc.code in _AUTHORITATIVE or cached is None or now - cached.fetched_at > self.max_stale:
                raise _get_error(exc, key) from None
            log.warning("GetAzureSubscription failed; serving the cached answer",
                        extra={"fields": {"error": exc.code, "age_seconds": round(now - cached.fetched_at)}})  # fmt: skip
            return dataclasses.replace(cached, stale=True)
        stored = await self.store.update(subscription)
        answer = AzureAnswer(subscription, stored.tenant_id if stored else "", self.clock.now())
        self._cache[key] = answer
        return answer


# Azure's answers about the subscription itself: never hidden behind a cached answer.
_AUTHORITATIVE = frozenset({"NotFound", "Forbidden", "BadRequest"})


def _forbidden(exc: RemoteError) -> Refused:
    return Refused(
        f"Azure refused the sidecar's Microsoft Entra app (403): it must be the app registered in the offer's "
        f"technical configuration (--azure-tenant-id, --azure-client-id): {exc.message}"
    )


_RESOLVE = (
    "the token's resolve: call ResolveAzureSubscription again with the same token (a marketplace token stays "
    "valid for 24 hours and may be resolved again)"
)


def _late(exc: RemoteError, call: str) -> RemoteError:
    return _deadline(call) if exc.code == "DeadlineExceeded" else exc


def _deadline(call: str) -> RemoteError:
    return RemoteError(
        "DeadlineExceeded", f"Azure did not answer {call} within this call's deadline", retryable=True
    )


def _resolve_error(exc: RemoteError) -> Exception:
    if exc.code in ("BadRequest", "NotFound"):
        return InvalidUsage(
            "marketplace_token", f"Azure could not resolve the token (expired, or not a marketplace token: "
            f"{exc.message}); {_AGAIN}"
        )  # fmt: skip
    if exc.code == "Forbidden":
        return _forbidden(exc)
    return _late(exc, _RESOLVE)


def _activate_error(exc: RemoteError, key: str, plan: str) -> Exception:
    if exc.code == "BadRequest":
        return Refused(f"Azure refused to activate subscription {key} on plan {plan}: {exc.message}")
    if exc.code == "NotFound":
        return NotFound(f"Azure has no subscription {key}: {exc.message}")
    if exc.code == "Forbidden":
        return _forbidden(exc)
    return _late(exc, "the activation")


def _get_error(exc: RemoteError, key: str) -> Exception:
    if exc.code == "NotFound":
        return NotFound(f"Azure has no subscription {key}: {exc.message}")
    if exc.code == "BadRequest":
        return InvalidUsage("subscription_id", f"Azure refused the request: {exc.message}")
    if exc.code == "Forbidden":
        return _forbidden(exc)
    return _late(exc, "GetSubscription")

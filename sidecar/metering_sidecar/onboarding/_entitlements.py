"""GetEntitlements behind a cache: every page followed, identical queries share one call, and a
cached answer is served (marked stale) while AWS fails, up to a maximum staleness."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from metering_sidecar.core import Clock, Entitlement, InvalidUsage, RemoteError
from metering_sidecar.marketplace import Marketplace, with_retries
from metering_sidecar.onboarding._shared import shared

log = logging.getLogger("sidecar.entitlements")
PAGE_SIZE = 25  # AWS's maximum
MAX_PAGES = 10_000  # a guard against a service that never stops handing out tokens

Key = tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]


@dataclass(frozen=True, slots=True)
class Answer:
    """Entitlements as of ``fetched_at``; ``stale`` when served because AWS failed."""

    entitlements: Sequence[Entitlement]
    fetched_at: float
    stale: bool = False


class Entitlements:
    """The entitlement cache in front of AWS."""

    def __init__(
        self, marketplace: Marketplace, clock: Clock, *, ttl: float, max_stale: float, default_product: str
    ) -> None:
        self.marketplace = marketplace
        self.clock = clock
        self.ttl = ttl
        self.max_stale = max_stale
        self.default_product = default_product
        self._cache: dict[Key, Answer] = {}
        self._inflight: dict[Key, asyncio.Future[Answer]] = {}

    def _key(self, product_code: str, filters: Mapping[str, str]) -> tuple[str, Key]:
        product = product_code or self.default_product
        if not product:
            raise InvalidUsage(
                "product_code", "is required: set it, or start the sidecar with --product-code"
            )
        chosen = tuple(sorted((k, (v,)) for k, v in filters.items() if v))
        return product, (product, chosen)

    async def get(self, product_code: str, filters: Mapping[str, str], *, within: float | None) -> Answer:
        """Return the entitlements for a query, from the cache while it is fresh."""
        product, key = self._key(product_code, filters)
        cached = self._cache.get(key)
        now = self.clock.now()
        if cached is not None and now - cached.fetched_at < self.ttl:
            return cached
        return await shared(self._inflight, key, lambda: self._refresh(product, key, cached, within))

    async def _refresh(self, product: str, key: Key, cached: Answer | None, within: float | None) -> Answer:
        try:
            # With a cached answer to fall back on, fail fast instead of spending the caller's deadline.
            entitlements = await with_retries(
                lambda: self._fetch_all(product, key), within=within, attempts=1 if cached else None
            )
        except RemoteError as exc:
            if exc.code == "InvalidParameterException":
                raise InvalidUsage("filter", f"AWS refused the query: {exc.message}") from None
            now = self.clock.now()
            if cached is not None and now - cached.fetched_at <= self.max_stale:
                log.warning("GetEntitlements failed; serving the cached answer",
                            extra={"fields": {"error": exc.code, "age_seconds": round(now - cached.fetched_at)}})  # fmt: skip
                return Answer(cached.entitlements, cached.fetched_at, stale=True)
            raise
        answer = Answer(entitlements, self.clock.now())
        self._cache[key] = answer
        return answer

    async def _fetch_all(self, product: str, key: Key) -> list[Entitlement]:
        filters = {name: list(values) for name, values in key[1]}
        collected: list[Entitlement] = []
        token = ""
        for _ in range(MAX_PAGES):
            page = await self.marketplace.get_entitlements(
                product_code=product, filters=filters, next_token=token, max_results=PAGE_SIZE
            )
            collected.extend(page.entitlements)
            # A page may be empty and still carry a token: only an absent token ends the listing.
            if not page.next_token:
                return collected
            token = page.next_token
        raise RemoteError(
            "TooManyPages", f"GetEntitlements returned more than {MAX_PAGES} pages", retryable=False
        )


def filters_for(
    *,
    customer_aws_account_id: str = "",
    customer_identifier: str = "",
    license_arn: str = "",
    dimension: str = "",
) -> dict[str, str]:
    """Map request fields to AWS's filter keys."""
    return {
        "CUSTOMER_AWS_ACCOUNT_ID": customer_aws_account_id,
        "CUSTOMER_IDENTIFIER": customer_identifier,
        "LICENSE_ARN": license_arn,
        "DIMENSION": dimension,
    }


def is_entitled(entitlement: Entitlement, now: float) -> bool:
    """Unexpired, and its value is not false or zero."""
    if entitlement.expiration_date is not None and entitlement.expiration_date <= now:
        return False
    return entitlement.value is None or (entitlement.value is not False and entitlement.value != 0)

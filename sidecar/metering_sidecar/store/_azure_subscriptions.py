"""Azure SaaS subscriptions from ResolveAzureSubscription: stored, bound to a tenant, kept by token hash.

The binding rule mirrors AWS's (``_customers.py``): a subscription binds to at most one tenant, once;
a tenant may hold several subscriptions. Azure lets one buyer purchase the same offer more than once,
and each purchase is a subscription of its own, metered under its own id, just as one AWS account may
hold several licenses. Unlike AWS, storing a subscription and binding it are two steps: a resolved
subscription is kept (with the token's hash) even when the caller's tenant may not take it, so the
right tenant's call binds it without asking Azure again. The token itself is never stored.
"""

from __future__ import annotations

from typing import Any

from metering_sidecar.core import NotFound, Refused
from metering_sidecar.store._database import Database
from metering_sidecar.targets import AzureBinding, AzureSubscription

_COLUMNS = (
    "subscription_id, offer_id, plan_id, quantity, status, name, purchaser_tenant_id, beneficiary_tenant_id, "
    "tenant_id, first_resolved_ms, last_resolved_ms"
)


def _binding(row: Any) -> AzureBinding:
    subscription = AzureSubscription(
        subscription_id=str(row[0]), offer_id=str(row[1]), plan_id=str(row[2]), quantity=int(row[3]),
        status=str(row[4]), name=str(row[5]), purchaser_tenant_id=str(row[6]),
        beneficiary_tenant_id=str(row[7]),
    )  # fmt: skip
    return AzureBinding(subscription, str(row[8]), int(row[9]) / 1000, int(row[10]) / 1000)


def _facts(subscription: AzureSubscription) -> tuple[object, ...]:
    return (
        subscription.offer_id, subscription.plan_id, subscription.quantity, subscription.status,
        subscription.name, subscription.purchaser_tenant_id, subscription.beneficiary_tenant_id,
    )  # fmt: skip


class AzureSubscriptions:
    """Azure subscriptions, their tenant bindings and the token-hash cache (onboarding's AzureRegistry)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def _select(self, subscription_id: str) -> AzureBinding | None:
        rows = list(
            await self._database.conn.execute_fetchall(
                f"SELECT {_COLUMNS} FROM azure_subscriptions WHERE subscription_id = ?",
                (subscription_id.lower(),),
            )
        )
        return _binding(rows[0]) if rows else None

    async def subscription(self, subscription_id: str) -> AzureBinding | None:
        """Return a stored subscription, if any (ids are GUIDs: compared without case)."""
        return await self._select(subscription_id)

    async def subscription_for_token(self, token_sha256: str) -> AzureBinding | None:
        """Return the subscription a token resolved to before, if any."""
        rows = list(
            await self._database.conn.execute_fetchall(
                f"SELECT {', '.join('s.' + c for c in _COLUMNS.split(', '))} FROM azure_tokens t "
                "JOIN azure_subscriptions s ON s.subscription_id = t.subscription_id WHERE t.token_sha256 = ?",
                (token_sha256,),
            )
        )
        return _binding(rows[0]) if rows else None

    async def store_resolved(
        self, subscription: AzureSubscription, token_sha256: str, now: float
    ) -> AzureBinding:
        """Store what Azure resolved a token to (new, or refreshing a known subscription) and the token's hash."""
        now_ms = int(now * 1000)
        subscription_id = subscription.subscription_id.lower()
        async with self._database.write_lock, self._database.transaction():
            await self._database.conn.execute(
                f"INSERT INTO azure_subscriptions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?) "
                "ON CONFLICT (subscription_id) DO UPDATE SET offer_id = excluded.offer_id, "
                "plan_id = excluded.plan_id, quantity = excluded.quantity, status = excluded.status, "
                "name = excluded.name, purchaser_tenant_id = excluded.purchaser_tenant_id, "
                "beneficiary_tenant_id = excluded.beneficiary_tenant_id, last_resolved_ms = excluded.last_resolved_ms",
                (subscription_id, *_facts(subscription), now_ms, now_ms),
            )
            await self._database.conn.execute(
                "INSERT INTO azure_tokens (token_sha256, subscription_id, resolved_ms) VALUES (?, ?, ?) "
                "ON CONFLICT (token_sha256) DO NOTHING",
                (token_sha256, subscription_id, now_ms),
            )
            stored = await self._select(subscription_id)
        assert stored is not None
        return stored

    async def bind_tenant(
        self, subscription_id: str, tenant_id: str, now: float
    ) -> tuple[AzureBinding, bool]:
        """Bind a stored subscription to ``tenant_id`` ('' binds nothing) and say whether it is news.

        The second value is true exactly once per subscription: for the first call that gets this far.
        Raises Refused, changing nothing, when the subscription is bound to another tenant.
        """
        key = subscription_id.lower()
        async with self._database.write_lock, self._database.transaction():
            existing = await self._select(key)
            if existing is None:
                raise NotFound(f"Azure subscription {key} is not stored on this sidecar")
            if tenant_id and existing.tenant_id and existing.tenant_id != tenant_id:
                raise Refused(
                    f"Azure subscription {key} is already bound to another tenant; nothing was changed"
                )
            announced = await self._database.scalar(
                "SELECT announced FROM azure_subscriptions WHERE subscription_id = ?", (key,)
            )
            await self._database.conn.execute(
                "UPDATE azure_subscriptions SET last_resolved_ms = ?, announced = 1, "
                "tenant_id = CASE WHEN tenant_id = '' THEN ? ELSE tenant_id END WHERE subscription_id = ?",
                (int(now * 1000), tenant_id, key),
            )
            bound = await self._select(key)
        assert bound is not None
        return bound, not announced

    async def update(self, subscription: AzureSubscription) -> AzureBinding | None:
        """Record a known subscription's current state (after activation, or as Azure describes it now)."""
        async with self._database.write_lock, self._database.transaction():
            await self._database.conn.execute(
                "UPDATE azure_subscriptions SET offer_id = ?, plan_id = ?, quantity = ?, status = ?, name = ?, "
                "purchaser_tenant_id = ?, beneficiary_tenant_id = ? WHERE subscription_id = ?",
                (*_facts(subscription), subscription.subscription_id.lower()),
            )
            return await self._select(subscription.subscription_id)

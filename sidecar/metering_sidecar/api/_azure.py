"""Azure onboarding RPCs: ResolveAzureSubscription, ActivateAzureSubscription, GetAzureSubscription."""

from __future__ import annotations

from typing import Any

import grpc

from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar.api._errors import map_errors
from metering_sidecar.api._onboarding import within
from metering_sidecar.api._operator import timestamp_pb
from metering_sidecar.core import ConfigError
from metering_sidecar.onboarding import AzureOnboarding
from metering_sidecar.targets import AzureSubscription

Context = grpc.aio.ServicerContext[Any, Any]
_NOT_CONFIGURED = (
    "Azure Marketplace is not configured on this sidecar: start it with --azure-tenant-id and "
    "--azure-client-id (and --azure-client-secret-file, or workload identity); see docs/azure-marketplace.md"
)


def subscription_pb(subscription: AzureSubscription, tenant_id: str) -> pb.AzureSubscription:
    """Convert a subscription and the tenant it is bound to into its proto."""
    return pb.AzureSubscription(
        subscription_id=subscription.subscription_id,
        offer_id=subscription.offer_id,
        plan_id=subscription.plan_id,
        quantity=subscription.quantity,
        status=subscription.status,
        name=subscription.name,
        purchaser_tenant_id=subscription.purchaser_tenant_id,
        beneficiary_tenant_id=subscription.beneficiary_tenant_id,
        tenant_id=tenant_id,
    )


class AzureServicer:
    """Mixed into the servicer: the Azure subscription RPCs (FAILED_PRECONDITION when Azure is not set up)."""

    azure: AzureOnboarding | None

    def _azure(self) -> AzureOnboarding:
        if self.azure is None:
            raise ConfigError(_NOT_CONFIGURED)
        return self.azure

    @map_errors
    async def ResolveAzureSubscription(
        self, request: pb.ResolveAzureSubscriptionRequest, context: Context
    ) -> pb.ResolveAzureSubscriptionResponse:
        """Resolve a landing page's marketplace token, store the subscription and bind it to the tenant."""
        binding, new = await self._azure().resolve(
            request.marketplace_token, request.tenant_id, within=within(context)
        )
        return pb.ResolveAzureSubscriptionResponse(
            subscription=subscription_pb(binding.subscription, binding.tenant_id), new_subscription=new
        )

    @map_errors
    async def ActivateAzureSubscription(
        self, request: pb.ActivateAzureSubscriptionRequest, context: Context
    ) -> pb.ActivateAzureSubscriptionResponse:
        """Activate a resolved subscription (on its resolved plan unless plan_id says otherwise)."""
        binding = await self._azure().activate(
            request.subscription_id, request.plan_id, request.quantity, within=within(context)
        )
        return pb.ActivateAzureSubscriptionResponse(
            subscription=subscription_pb(binding.subscription, binding.tenant_id)
        )

    @map_errors
    async def GetAzureSubscription(
        self, request: pb.GetAzureSubscriptionRequest, context: Context
    ) -> pb.GetAzureSubscriptionResponse:
        """Return a subscription's current state (cached; stale while Azure fails)."""
        answer = await self._azure().get(request.subscription_id, within=within(context))
        return pb.GetAzureSubscriptionResponse(
            subscription=subscription_pb(answer.subscription, answer.tenant_id),
            stale=answer.stale,
            fetched_at=timestamp_pb(answer.fetched_at),
        )

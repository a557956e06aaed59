"""Azure onboarding RPCs: ResolveAzureSubscription, ActivateAzureSubscription, GetAzureSubscription."""

from __future__ import annotations

from typing import Any

import grpc

from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb

Context = grpc.aio.ServicerContext[Any, Any]
_NOT_CONFIGURED = (
    "Azure Marketplace is not configured on this sidecar: start it with --azure-tenant-id and "
    "--azure-client-id (and --azure-client-secret-file, or workload identity); see docs/azure-marketplace.md"
)


class AzureServicer:
    """The Azure subscription RPCs."""

    async def ResolveAzureSubscription(
        self, request: pb.ResolveAzureSubscriptionRequest, context: Context
    ) -> pb.ResolveAzureSubscriptionResponse:
        """Resolve a landing page's marketplace token."""
        await context.abort(grpc.StatusCode.FAILED_PRECONDITION, _NOT_CONFIGURED)

    async def ActivateAzureSubscription(
        self, request: pb.ActivateAzureSubscriptionRequest, context: Context
    ) -> pb.ActivateAzureSubscriptionResponse:
        """Activate a resolved subscription."""
        await context.abort(grpc.StatusCode.FAILED_PRECONDITION, _NOT_CONFIGURED)

    async def GetAzureSubscription(
        self, request: pb.GetAzureSubscriptionRequest, context: Context
    ) -> pb.GetAzureSubscriptionResponse:
        """Return a subscription's current state."""
        await context.abort(grpc.StatusCode.FAILED_PRECONDITION, _NOT_CONFIGURED)

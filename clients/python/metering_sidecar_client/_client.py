"""MeteringClient (blocking) and AsyncMeteringClient (asyncio): every attempt has a deadline, and
UNAVAILABLE, RESOURCE_EXHAUSTED, a server's CANCELLED and an attempt's own deadline are retried with
backoff, reusing event ids. ``deadline=`` bounds one call, retries included; it is never retried."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar

import grpc

from metering_sidecar_client._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar_client._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar_client._retry import Call, Settings
from metering_sidecar_client._usage import Usage

T = TypeVar("T")


class MeteringClient:
    """A blocking client. Connect by ``host:port`` or ``unix:///path``."""

    def __init__(
        self,
        target: str = "127.0.0.1:50051",
        *,
        timeout: float = 5.0,
        retry_budget: float = 60.0,
        token: str | None = None,
        token_file: str | None = None,
    ) -> None:
        self.settings = Settings.build(target, timeout=timeout, retry_budget=retry_budget, token=token,
                                       token_file=token_file)  # fmt: skip
        self._channel = grpc.insecure_channel(target)
        self._stub = pb_grpc.MeteringSidecarStub(self._channel)

    def __enter__(self) -> MeteringClient:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the channel."""
        self._channel.close()

    def _call(self, method: Callable[..., T], request: Any, deadline: float | None = None) -> T:
        call = Call(self.settings, deadline)
        for attempt in call.retrying():
            with attempt:
                return method(request, timeout=call.attempt_timeout(), metadata=self.settings.metadata)
        raise AssertionError("unreachable")

    def record(self, usage: Usage, *, deadline: float | None = None) -> pb.RecordUsageResponse:
        """Record one event; retried with the same event_id until acknowledged, the call's ``deadline``
        (seconds) passes or the budget is spent."""
        request = pb.RecordUsageRequest(event=usage.to_proto())
        return self._call(self._stub.RecordUsage, request, deadline)

    def record_usage(self, dimension: str, quantity: int = 0, **fields: Any) -> pb.RecordUsageResponse:
        """Record one event built from keyword arguments (see Usage)."""
        return self.record(Usage(dimension=dimension, quantity=quantity, **fields))

    def record_batch(
        self, usages: Sequence[Usage], *, deadline: float | None = None
    ) -> pb.RecordUsageBatchResponse:
        """Record up to 1000 events, all or nothing."""
        request = pb.RecordUsageBatchRequest(events=[u.to_proto() for u in usages])
        return self._call(self._stub.RecordUsageBatch, request, deadline)

    def get_entitlements(
        self, *, deadline: float | None = None, **filters: str
    ) -> pb.GetEntitlementsResponse:
        """Return entitlements (filters: product_code, customer_aws_account_id, license_arn, dimension, ...)."""
        return self._call(self._stub.GetEntitlements, pb.GetEntitlementsRequest(**filters), deadline)

    def check_entitlement(
        self, *, deadline: float | None = None, **fields: str
    ) -> pb.CheckEntitlementResponse:
        """Return whether a customer is entitled (to a dimension)."""
        return self._call(self._stub.CheckEntitlement, pb.CheckEntitlementRequest(**fields), deadline)

    def resolve_customer(self, registration_token: str, tenant_id: str = "") -> pb.ResolveCustomerResponse:
        """Resolve a buyer's registration token (x-amzn-marketplace-token) and bind it to a tenant."""
        request = pb.ResolveCustomerRequest(registration_token=registration_token, tenant_id=tenant_id)
        return self._call(self._stub.ResolveCustomer, request)

    def status(self) -> pb.GetStatusResponse:
        """Return the sidecar's status."""
        return self._call(self._stub.GetStatus, pb.GetStatusRequest())


class AsyncMeteringClient:
    """The asyncio client (grpc.aio)."""

    def __init__(
        self,
        target: str = "127.0.0.1:50051",
        *,
        timeout: float = 5.0,
        retry_budget: float = 60.0,
        token: str | None = None,
        token_file: str | None = None,
    ) -> None:
        self.settings = Settings.build(target, timeout=timeout, retry_budget=retry_budget, token=token,
                                       token_file=token_file)  # fmt: skip
        self._channel = grpc.aio.insecure_channel(target)
        self._stub = pb_grpc.MeteringSidecarStub(self._channel)

    async def __aenter__(self) -> AsyncMeteringClient:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close(None)

    async def _call(
        self, method: Callable[..., Awaitable[T]], request: Any, deadline: float | None = None
    ) -> T:
        call = Call(self.settings, deadline)
        async for attempt in call.retrying():
            with attempt:
                return await method(request, timeout=call.attempt_timeout(), metadata=self.settings.metadata)
        raise AssertionError("unreachable")

    async def record(self, usage: Usage, *, deadline: float | None = None) -> pb.RecordUsageResponse:
        """Record one event; retried with the same event_id until acknowledged, the call's ``deadline``
        passes or the budget is spent. Cancelling the task cancels the call, never retried."""
        request = pb.RecordUsageRequest(event=usage.to_proto())
        return await self._call(self._stub.RecordUsage, request, deadline)

    async def record_usage(self, dimension: str, quantity: int = 0, **fields: Any) -> pb.RecordUsageResponse:
        """Record one event built from keyword arguments (see Usage)."""
        return await self.record(Usage(dimension=dimension, quantity=quantity, **fields))

    async def record_batch(
        self, usages: Sequence[Usage], *, deadline: float | None = None
    ) -> pb.RecordUsageBatchResponse:
        """Record up to 1000 events, all or nothing."""
        request = pb.RecordUsageBatchRequest(events=[u.to_proto() for u in usages])
        return await self._call(self._stub.RecordUsageBatch, request, deadline)

    async def get_entitlements(
        self, *, deadline: float | None = None, **filters: str
    ) -> pb.GetEntitlementsResponse:
        """Return entitlements."""
        return await self._call(self._stub.GetEntitlements, pb.GetEntitlementsRequest(**filters), deadline)

    async def check_entitlement(
        self, *, deadline: float | None = None, **fields: str
    ) -> pb.CheckEntitlementResponse:
        """Return whether a customer is entitled (to a dimension)."""
        return await self._call(self._stub.CheckEntitlement, pb.CheckEntitlementRequest(**fields), deadline)

    async def resolve_customer(
        self, registration_token: str, tenant_id: str = ""
    ) -> pb.ResolveCustomerResponse:
        """Resolve a registration token and bind it to a tenant."""
        request = pb.ResolveCustomerRequest(registration_token=registration_token, tenant_id=tenant_id)
        return await self._call(self._stub.ResolveCustomer, request)

    async def status(self) -> pb.GetStatusResponse:
        """Return the sidecar's status."""
        return await self._call(self._stub.GetStatus, pb.GetStatusRequest())

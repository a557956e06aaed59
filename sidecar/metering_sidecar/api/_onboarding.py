"""Onboarding RPCs: ResolveCustomer, ListCustomers, GetEntitlements and CheckEntitlement."""

from __future__ import annotations

from typing import Any

import grpc

from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar.api._errors import map_errors
from metering_sidecar.api._operator import next_token, page, timestamp_pb
from metering_sidecar.core import Clock, Customer, Entitlement, InvalidUsage
from metering_sidecar.onboarding import Answer, Entitlements, Onboarding, filters_for, is_entitled
from metering_sidecar.store import Store

Context = grpc.aio.ServicerContext[Any, Any]
EntitlementQuery = pb.GetEntitlementsRequest | pb.CheckEntitlementRequest


def customer_pb(customer: Customer) -> pb.Customer:
    """Convert a stored customer to its proto."""
    return pb.Customer(
        customer_identifier=customer.customer_identifier,
        customer_aws_account_id=customer.customer_aws_account_id,
        product_code=customer.product_code,
        license_arn=customer.license_arn,
        tenant_id=customer.tenant_id,
        first_resolved_at=timestamp_pb(customer.first_resolved_at),
        last_resolved_at=timestamp_pb(customer.last_resolved_at),
    )


def entitlement_pb(entitlement: Entitlement) -> pb.Entitlement:
    """Convert an entitlement to its proto, keeping the value's type in the oneof."""
    message = pb.Entitlement(
        product_code=entitlement.product_code,
        dimension=entitlement.dimension,
        customer_aws_account_id=entitlement.customer_aws_account_id,
        customer_identifier=entitlement.customer_identifier,
        license_arn=entitlement.license_arn,
        expiration_date=timestamp_pb(entitlement.expiration_date),
    )
    value = entitlement.value
    if isinstance(value, bool):
        message.boolean_value = value
    elif isinstance(value, int):
        message.integer_value = value
    elif isinstance(value, float):
        message.double_value = value
    elif isinstance(value, str):
        message.string_value = value
    return message


def within(context: Context) -> float | None:
    remaining = context.time_remaining()
    if remaining is None:
        return None
    # Answer a little before the caller gives up, so it hears why rather than a bare deadline.
    return max(0.0, float(remaining) - min(0.1, float(remaining) / 10))


class OnboardingServicer:
    """Mixed into the servicer: onboarding and entitlements."""

    store: Store
    clock: Clock
    onboarding: Onboarding
    entitlements: Entitlements

    @map_errors
    async def ResolveCustomer(
        self, request: pb.ResolveCustomerRequest, context: Context
    ) -> pb.ResolveCustomerResponse:
        """Resolve a registration token, store the customer and bind it to the tenant."""
        customer, new = await self.onboarding.resolve(
            request.registration_token, request.tenant_id, within=within(context)
        )
        return pb.ResolveCustomerResponse(
            customer_identifier=customer.customer_identifier,
            customer_aws_account_id=customer.customer_aws_account_id,
            product_code=customer.product_code,
            license_arn=customer.license_arn,
            new_customer=new,
            tenant_id=customer.tenant_id,
        )

    @map_errors
    async def ListCustomers(
        self, request: pb.ListCustomersRequest, context: Context
    ) -> pb.ListCustomersResponse:
        """Page through stored customers."""
        size, after = page(request.page_size, request.page_token)
        customers = await self.onboarding.store.list_customers(after_id=after, limit=size)
        return pb.ListCustomersResponse(
            customers=[customer_pb(c) for c in customers],
            next_page_token=next_token([c.id for c in customers], size),
        )

    async def _lookup(self, request: EntitlementQuery, context: Context) -> Answer:
        filters = filters_for(
            customer_aws_account_id=request.customer_aws_account_id,
            customer_identifier=request.customer_identifier,
            license_arn=request.license_arn,
            dimension=request.dimension,
        )
        return await self.entitlements.get(request.product_code, filters, within=within(context))

    @map_errors
    async def GetEntitlements(
        self, request: pb.GetEntitlementsRequest, context: Context
    ) -> pb.GetEntitlementsResponse:
        """Return every matching entitlement (cached; stale while AWS fails)."""
        answer = await self._lookup(request, context)
        return pb.GetEntitlementsResponse(
            entitlements=[entitlement_pb(e) for e in answer.entitlements],
            stale=answer.stale,
            fetched_at=timestamp_pb(answer.fetched_at),
        )

    @map_errors
    async def CheckEntitlement(
        self, request: pb.CheckEntitlementRequest, context: Context
    ) -> pb.CheckEntitlementResponse:
        """Answer whether one customer is entitled (to one dimension)."""
        if bool(request.customer_aws_account_id) == bool(request.customer_identifier):
            raise InvalidUsage(
                "customer_aws_account_id",
                "exactly one of customer_aws_account_id or customer_identifier is required",
            )
        answer = await self._lookup(request, context)
        now = self.clock.now()
        entitled = [e for e in answer.entitlements if is_entitled(e, now)]
        if not entitled:
            return pb.CheckEntitlementResponse(entitled=False, stale=answer.stale)
        return pb.CheckEntitlementResponse(
            entitled=True, entitlement=entitlement_pb(entitled[0]), stale=answer.stale
        )

import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp';
import type { ActivateAzureSubscriptionRequest as _meteringsidecar_v1_ActivateAzureSubscriptionRequest, ActivateAzureSubscriptionRequest__Output as _meteringsidecar_v1_ActivateAzureSubscriptionRequest__Output } from './meteringsidecar/v1/ActivateAzureSubscriptionRequest';
import type { ActivateAzureSubscriptionResponse as _meteringsidecar_v1_ActivateAzureSubscriptionResponse, ActivateAzureSubscriptionResponse__Output as _meteringsidecar_v1_ActivateAzureSubscriptionResponse__Output } from './meteringsidecar/v1/ActivateAzureSubscriptionResponse';
import type { AzureSubscription as _meteringsidecar_v1_AzureSubscription, AzureSubscription__Output as _meteringsidecar_v1_AzureSubscription__Output } from './meteringsidecar/v1/AzureSubscription';
import type { CheckEntitlementRequest as _meteringsidecar_v1_CheckEntitlementRequest, CheckEntitlementRequest__Output as _meteringsidecar_v1_CheckEntitlementRequest__Output } from './meteringsidecar/v1/CheckEntitlementRequest';
import type { CheckEntitlementResponse as _meteringsidecar_v1_CheckEntitlementResponse, CheckEntitlementResponse__Output as _meteringsidecar_v1_CheckEntitlementResponse__Output } from './meteringsidecar/v1/CheckEntitlementResponse';
import type { Customer as _meteringsidecar_v1_Customer, Customer__Output as _meteringsidecar_v1_Customer__Output } from './meteringsidecar/v1/Customer';
import type { DiscardDeadLetterRequest as _meteringsidecar_v1_DiscardDeadLetterRequest, DiscardDeadLetterRequest__Output as _meteringsidecar_v1_DiscardDeadLetterRequest__Output } from './meteringsidecar/v1/DiscardDeadLetterRequest';
import type { DiscardDeadLetterResponse as _meteringsidecar_v1_DiscardDeadLetterResponse, DiscardDeadLetterResponse__Output as _meteringsidecar_v1_DiscardDeadLetterResponse__Output } from './meteringsidecar/v1/DiscardDeadLetterResponse';
import type { Entitlement as _meteringsidecar_v1_Entitlement, Entitlement__Output as _meteringsidecar_v1_Entitlement__Output } from './meteringsidecar/v1/Entitlement';
import type { FlushRequest as _meteringsidecar_v1_FlushRequest, FlushRequest__Output as _meteringsidecar_v1_FlushRequest__Output } from './meteringsidecar/v1/FlushRequest';
import type { FlushResponse as _meteringsidecar_v1_FlushResponse, FlushResponse__Output as _meteringsidecar_v1_FlushResponse__Output } from './meteringsidecar/v1/FlushResponse';
import type { GetAzureSubscriptionRequest as _meteringsidecar_v1_GetAzureSubscriptionRequest, GetAzureSubscriptionRequest__Output as _meteringsidecar_v1_GetAzureSubscriptionRequest__Output } from './meteringsidecar/v1/GetAzureSubscriptionRequest';
import type { GetAzureSubscriptionResponse as _meteringsidecar_v1_GetAzureSubscriptionResponse, GetAzureSubscriptionResponse__Output as _meteringsidecar_v1_GetAzureSubscriptionResponse__Output } from './meteringsidecar/v1/GetAzureSubscriptionResponse';
import type { GetEntitlementsRequest as _meteringsidecar_v1_GetEntitlementsRequest, GetEntitlementsRequest__Output as _meteringsidecar_v1_GetEntitlementsRequest__Output } from './meteringsidecar/v1/GetEntitlementsRequest';
import type { GetEntitlementsResponse as _meteringsidecar_v1_GetEntitlementsResponse, GetEntitlementsResponse__Output as _meteringsidecar_v1_GetEntitlementsResponse__Output } from './meteringsidecar/v1/GetEntitlementsResponse';
import type { GetStatusRequest as _meteringsidecar_v1_GetStatusRequest, GetStatusRequest__Output as _meteringsidecar_v1_GetStatusRequest__Output } from './meteringsidecar/v1/GetStatusRequest';
import type { GetStatusResponse as _meteringsidecar_v1_GetStatusResponse, GetStatusResponse__Output as _meteringsidecar_v1_GetStatusResponse__Output } from './meteringsidecar/v1/GetStatusResponse';
import type { ListCustomersRequest as _meteringsidecar_v1_ListCustomersRequest, ListCustomersRequest__Output as _meteringsidecar_v1_ListCustomersRequest__Output } from './meteringsidecar/v1/ListCustomersRequest';
import type { ListCustomersResponse as _meteringsidecar_v1_ListCustomersResponse, ListCustomersResponse__Output as _meteringsidecar_v1_ListCustomersResponse__Output } from './meteringsidecar/v1/ListCustomersResponse';
import type { ListDeadLettersRequest as _meteringsidecar_v1_ListDeadLettersRequest, ListDeadLettersRequest__Output as _meteringsidecar_v1_ListDeadLettersRequest__Output } from './meteringsidecar/v1/ListDeadLettersRequest';
import type { ListDeadLettersResponse as _meteringsidecar_v1_ListDeadLettersResponse, ListDeadLettersResponse__Output as _meteringsidecar_v1_ListDeadLettersResponse__Output } from './meteringsidecar/v1/ListDeadLettersResponse';
import type { ListRecordsRequest as _meteringsidecar_v1_ListRecordsRequest, ListRecordsRequest__Output as _meteringsidecar_v1_ListRecordsRequest__Output } from './meteringsidecar/v1/ListRecordsRequest';
import type { ListRecordsResponse as _meteringsidecar_v1_ListRecordsResponse, ListRecordsResponse__Output as _meteringsidecar_v1_ListRecordsResponse__Output } from './meteringsidecar/v1/ListRecordsResponse';
import type { MeteringRecord as _meteringsidecar_v1_MeteringRecord, MeteringRecord__Output as _meteringsidecar_v1_MeteringRecord__Output } from './meteringsidecar/v1/MeteringRecord';
import type { MeteringSidecarClient as _meteringsidecar_v1_MeteringSidecarClient, MeteringSidecarDefinition as _meteringsidecar_v1_MeteringSidecarDefinition } from './meteringsidecar/v1/MeteringSidecar';
import type { RecordUsageBatchRequest as _meteringsidecar_v1_RecordUsageBatchRequest, RecordUsageBatchRequest__Output as _meteringsidecar_v1_RecordUsageBatchRequest__Output } from './meteringsidecar/v1/RecordUsageBatchRequest';
import type { RecordUsageBatchResponse as _meteringsidecar_v1_RecordUsageBatchResponse, RecordUsageBatchResponse__Output as _meteringsidecar_v1_RecordUsageBatchResponse__Output } from './meteringsidecar/v1/RecordUsageBatchResponse';
import type { RecordUsageRequest as _meteringsidecar_v1_RecordUsageRequest, RecordUsageRequest__Output as _meteringsidecar_v1_RecordUsageRequest__Output } from './meteringsidecar/v1/RecordUsageRequest';
import type { RecordUsageResponse as _meteringsidecar_v1_RecordUsageResponse, RecordUsageResponse__Output as _meteringsidecar_v1_RecordUsageResponse__Output } from './meteringsidecar/v1/RecordUsageResponse';
import type { ResolveAzureSubscriptionRequest as _meteringsidecar_v1_ResolveAzureSubscriptionRequest, ResolveAzureSubscriptionRequest__Output as _meteringsidecar_v1_ResolveAzureSubscriptionRequest__Output } from './meteringsidecar/v1/ResolveAzureSubscriptionRequest';
import type { ResolveAzureSubscriptionResponse as _meteringsidecar_v1_ResolveAzureSubscriptionResponse, ResolveAzureSubscriptionResponse__Output as _meteringsidecar_v1_ResolveAzureSubscriptionResponse__Output } from './meteringsidecar/v1/ResolveAzureSubscriptionResponse';
import type { ResolveCustomerRequest as _meteringsidecar_v1_ResolveCustomerRequest, ResolveCustomerRequest__Output as _meteringsidecar_v1_ResolveCustomerRequest__Output } from './meteringsidecar/v1/ResolveCustomerRequest';
import type { ResolveCustomerResponse as _meteringsidecar_v1_ResolveCustomerResponse, ResolveCustomerResponse__Output as _meteringsidecar_v1_ResolveCustomerResponse__Output } from './meteringsidecar/v1/ResolveCustomerResponse';
import type { RetryDeadLetterRequest as _meteringsidecar_v1_RetryDeadLetterRequest, RetryDeadLetterRequest__Output as _meteringsidecar_v1_RetryDeadLetterRequest__Output } from './meteringsidecar/v1/RetryDeadLetterRequest';
import type { RetryDeadLetterResponse as _meteringsidecar_v1_RetryDeadLetterResponse, RetryDeadLetterResponse__Output as _meteringsidecar_v1_RetryDeadLetterResponse__Output } from './meteringsidecar/v1/RetryDeadLetterResponse';
import type { UsageEvent as _meteringsidecar_v1_UsageEvent, UsageEvent__Output as _meteringsidecar_v1_UsageEvent__Output } from './meteringsidecar/v1/UsageEvent';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  google: {
    protobuf: {
      Timestamp: MessageTypeDefinition<_google_protobuf_Timestamp, _google_protobuf_Timestamp__Output>
    }
  }
  meteringsidecar: {
    v1: {
      ActivateAzureSubscriptionRequest: MessageTypeDefinition<_meteringsidecar_v1_ActivateAzureSubscriptionRequest, _meteringsidecar_v1_ActivateAzureSubscriptionRequest__Output>
      ActivateAzureSubscriptionResponse: MessageTypeDefinition<_meteringsidecar_v1_ActivateAzureSubscriptionResponse, _meteringsidecar_v1_ActivateAzureSubscriptionResponse__Output>
      AzureSubscription: MessageTypeDefinition<_meteringsidecar_v1_AzureSubscription, _meteringsidecar_v1_AzureSubscription__Output>
      CheckEntitlementRequest: MessageTypeDefinition<_meteringsidecar_v1_CheckEntitlementRequest, _meteringsidecar_v1_CheckEntitlementRequest__Output>
      CheckEntitlementResponse: MessageTypeDefinition<_meteringsidecar_v1_CheckEntitlementResponse, _meteringsidecar_v1_CheckEntitlementResponse__Output>
      Customer: MessageTypeDefinition<_meteringsidecar_v1_Customer, _meteringsidecar_v1_Customer__Output>
      DiscardDeadLetterRequest: MessageTypeDefinition<_meteringsidecar_v1_DiscardDeadLetterRequest, _meteringsidecar_v1_DiscardDeadLetterRequest__Output>
      DiscardDeadLetterResponse: MessageTypeDefinition<_meteringsidecar_v1_DiscardDeadLetterResponse, _meteringsidecar_v1_DiscardDeadLetterResponse__Output>
      Entitlement: MessageTypeDefinition<_meteringsidecar_v1_Entitlement, _meteringsidecar_v1_Entitlement__Output>
      FlushRequest: MessageTypeDefinition<_meteringsidecar_v1_FlushRequest, _meteringsidecar_v1_FlushRequest__Output>
      FlushResponse: MessageTypeDefinition<_meteringsidecar_v1_FlushResponse, _meteringsidecar_v1_FlushResponse__Output>
      GetAzureSubscriptionRequest: MessageTypeDefinition<_meteringsidecar_v1_GetAzureSubscriptionRequest, _meteringsidecar_v1_GetAzureSubscriptionRequest__Output>
      GetAzureSubscriptionResponse: MessageTypeDefinition<_meteringsidecar_v1_GetAzureSubscriptionResponse, _meteringsidecar_v1_GetAzureSubscriptionResponse__Output>
      GetEntitlementsRequest: MessageTypeDefinition<_meteringsidecar_v1_GetEntitlementsRequest, _meteringsidecar_v1_GetEntitlementsRequest__Output>
      GetEntitlementsResponse: MessageTypeDefinition<_meteringsidecar_v1_GetEntitlementsResponse, _meteringsidecar_v1_GetEntitlementsResponse__Output>
      GetStatusRequest: MessageTypeDefinition<_meteringsidecar_v1_GetStatusRequest, _meteringsidecar_v1_GetStatusRequest__Output>
      GetStatusResponse: MessageTypeDefinition<_meteringsidecar_v1_GetStatusResponse, _meteringsidecar_v1_GetStatusResponse__Output>
      ListCustomersRequest: MessageTypeDefinition<_meteringsidecar_v1_ListCustomersRequest, _meteringsidecar_v1_ListCustomersRequest__Output>
      ListCustomersResponse: MessageTypeDefinition<_meteringsidecar_v1_ListCustomersResponse, _meteringsidecar_v1_ListCustomersResponse__Output>
      ListDeadLettersRequest: MessageTypeDefinition<_meteringsidecar_v1_ListDeadLettersRequest, _meteringsidecar_v1_ListDeadLettersRequest__Output>
      ListDeadLettersResponse: MessageTypeDefinition<_meteringsidecar_v1_ListDeadLettersResponse, _meteringsidecar_v1_ListDeadLettersResponse__Output>
      ListRecordsRequest: MessageTypeDefinition<_meteringsidecar_v1_ListRecordsRequest, _meteringsidecar_v1_ListRecordsRequest__Output>
      ListRecordsResponse: MessageTypeDefinition<_meteringsidecar_v1_ListRecordsResponse, _meteringsidecar_v1_ListRecordsResponse__Output>
      MeteringRecord: MessageTypeDefinition<_meteringsidecar_v1_MeteringRecord, _meteringsidecar_v1_MeteringRecord__Output>
      MeteringSidecar: SubtypeConstructor<typeof grpc.Client, _meteringsidecar_v1_MeteringSidecarClient> & { service: _meteringsidecar_v1_MeteringSidecarDefinition }
      RecordUsageBatchRequest: MessageTypeDefinition<_meteringsidecar_v1_RecordUsageBatchRequest, _meteringsidecar_v1_RecordUsageBatchRequest__Output>
      RecordUsageBatchResponse: MessageTypeDefinition<_meteringsidecar_v1_RecordUsageBatchResponse, _meteringsidecar_v1_RecordUsageBatchResponse__Output>
      RecordUsageRequest: MessageTypeDefinition<_meteringsidecar_v1_RecordUsageRequest, _meteringsidecar_v1_RecordUsageRequest__Output>
      RecordUsageResponse: MessageTypeDefinition<_meteringsidecar_v1_RecordUsageResponse, _meteringsidecar_v1_RecordUsageResponse__Output>
      ResolveAzureSubscriptionRequest: MessageTypeDefinition<_meteringsidecar_v1_ResolveAzureSubscriptionRequest, _meteringsidecar_v1_ResolveAzureSubscriptionRequest__Output>
      ResolveAzureSubscriptionResponse: MessageTypeDefinition<_meteringsidecar_v1_ResolveAzureSubscriptionResponse, _meteringsidecar_v1_ResolveAzureSubscriptionResponse__Output>
      ResolveCustomerRequest: MessageTypeDefinition<_meteringsidecar_v1_ResolveCustomerRequest, _meteringsidecar_v1_ResolveCustomerRequest__Output>
      ResolveCustomerResponse: MessageTypeDefinition<_meteringsidecar_v1_ResolveCustomerResponse, _meteringsidecar_v1_ResolveCustomerResponse__Output>
      RetryDeadLetterRequest: MessageTypeDefinition<_meteringsidecar_v1_RetryDeadLetterRequest, _meteringsidecar_v1_RetryDeadLetterRequest__Output>
      RetryDeadLetterResponse: MessageTypeDefinition<_meteringsidecar_v1_RetryDeadLetterResponse, _meteringsidecar_v1_RetryDeadLetterResponse__Output>
      UsageEvent: MessageTypeDefinition<_meteringsidecar_v1_UsageEvent, _meteringsidecar_v1_UsageEvent__Output>
    }
  }
}


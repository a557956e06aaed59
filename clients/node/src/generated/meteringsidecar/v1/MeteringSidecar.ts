// Original file: meteringsidecar/v1/sidecar.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ActivateAzureSubscriptionRequest as _meteringsidecar_v1_ActivateAzureSubscriptionRequest, ActivateAzureSubscriptionRequest__Output as _meteringsidecar_v1_ActivateAzureSubscriptionRequest__Output } from '../../meteringsidecar/v1/ActivateAzureSubscriptionRequest';
import type { ActivateAzureSubscriptionResponse as _meteringsidecar_v1_ActivateAzureSubscriptionResponse, ActivateAzureSubscriptionResponse__Output as _meteringsidecar_v1_ActivateAzureSubscriptionResponse__Output } from '../../meteringsidecar/v1/ActivateAzureSubscriptionResponse';
import type { CheckEntitlementRequest as _meteringsidecar_v1_CheckEntitlementRequest, CheckEntitlementRequest__Output as _meteringsidecar_v1_CheckEntitlementRequest__Output } from '../../meteringsidecar/v1/CheckEntitlementRequest';
import type { CheckEntitlementResponse as _meteringsidecar_v1_CheckEntitlementResponse, CheckEntitlementResponse__Output as _meteringsidecar_v1_CheckEntitlementResponse__Output } from '../../meteringsidecar/v1/CheckEntitlementResponse';
import type { DiscardDeadLetterRequest as _meteringsidecar_v1_DiscardDeadLetterRequest, DiscardDeadLetterRequest__Output as _meteringsidecar_v1_DiscardDeadLetterRequest__Output } from '../../meteringsidecar/v1/DiscardDeadLetterRequest';
import type { DiscardDeadLetterResponse as _meteringsidecar_v1_DiscardDeadLetterResponse, DiscardDeadLetterResponse__Output as _meteringsidecar_v1_DiscardDeadLetterResponse__Output } from '../../meteringsidecar/v1/DiscardDeadLetterResponse';
import type { FlushRequest as _meteringsidecar_v1_FlushRequest, FlushRequest__Output as _meteringsidecar_v1_FlushRequest__Output } from '../../meteringsidecar/v1/FlushRequest';
import type { FlushResponse as _meteringsidecar_v1_FlushResponse, FlushResponse__Output as _meteringsidecar_v1_FlushResponse__Output } from '../../meteringsidecar/v1/FlushResponse';
import type { GetAzureSubscriptionRequest as _meteringsidecar_v1_GetAzureSubscriptionRequest, GetAzureSubscriptionRequest__Output as _meteringsidecar_v1_GetAzureSubscriptionRequest__Output } from '../../meteringsidecar/v1/GetAzureSubscriptionRequest';
import type { GetAzureSubscriptionResponse as _meteringsidecar_v1_GetAzureSubscriptionResponse, GetAzureSubscriptionResponse__Output as _meteringsidecar_v1_GetAzureSubscriptionResponse__Output } from '../../meteringsidecar/v1/GetAzureSubscriptionResponse';
import type { GetEntitlementsRequest as _meteringsidecar_v1_GetEntitlementsRequest, GetEntitlementsRequest__Output as _meteringsidecar_v1_GetEntitlementsRequest__Output } from '../../meteringsidecar/v1/GetEntitlementsRequest';
import type { GetEntitlementsResponse as _meteringsidecar_v1_GetEntitlementsResponse, GetEntitlementsResponse__Output as _meteringsidecar_v1_GetEntitlementsResponse__Output } from '../../meteringsidecar/v1/GetEntitlementsResponse';
import type { GetStatusRequest as _meteringsidecar_v1_GetStatusRequest, GetStatusRequest__Output as _meteringsidecar_v1_GetStatusRequest__Output } from '../../meteringsidecar/v1/GetStatusRequest';
import type { GetStatusResponse as _meteringsidecar_v1_GetStatusResponse, GetStatusResponse__Output as _meteringsidecar_v1_GetStatusResponse__Output } from '../../meteringsidecar/v1/GetStatusResponse';
import type { ListCustomersRequest as _meteringsidecar_v1_ListCustomersRequest, ListCustomersRequest__Output as _meteringsidecar_v1_ListCustomersRequest__Output } from '../../meteringsidecar/v1/ListCustomersRequest';
import type { ListCustomersResponse as _meteringsidecar_v1_ListCustomersResponse, ListCustomersResponse__Output as _meteringsidecar_v1_ListCustomersResponse__Output } from '../../meteringsidecar/v1/ListCustomersResponse';
import type { ListDeadLettersRequest as _meteringsidecar_v1_ListDeadLettersRequest, ListDeadLettersRequest__Output as _meteringsidecar_v1_ListDeadLettersRequest__Output } from '../../meteringsidecar/v1/ListDeadLettersRequest';
import type { ListDeadLettersResponse as _meteringsidecar_v1_ListDeadLettersResponse, ListDeadLettersResponse__Output as _meteringsidecar_v1_ListDeadLettersResponse__Output } from '../../meteringsidecar/v1/ListDeadLettersResponse';
import type { ListRecordsRequest as _meteringsidecar_v1_ListRecordsRequest, ListRecordsRequest__Output as _meteringsidecar_v1_ListRecordsRequest__Output } from '../../meteringsidecar/v1/ListRecordsRequest';
import type { ListRecordsResponse as _meteringsidecar_v1_ListRecordsResponse, ListRecordsResponse__Output as _meteringsidecar_v1_ListRecordsResponse__Output } from '../../meteringsidecar/v1/ListRecordsResponse';
import type { RecordUsageBatchRequest as _meteringsidecar_v1_RecordUsageBatchRequest, RecordUsageBatchRequest__Output as _meteringsidecar_v1_RecordUsageBatchRequest__Output } from '../../meteringsidecar/v1/RecordUsageBatchRequest';
import type { RecordUsageBatchResponse as _meteringsidecar_v1_RecordUsageBatchResponse, RecordUsageBatchResponse__Output as _meteringsidecar_v1_RecordUsageBatchResponse__Output } from '../../meteringsidecar/v1/RecordUsageBatchResponse';
import type { RecordUsageRequest as _meteringsidecar_v1_RecordUsageRequest, RecordUsageRequest__Output as _meteringsidecar_v1_RecordUsageRequest__Output } from '../../meteringsidecar/v1/RecordUsageRequest';
import type { RecordUsageResponse as _meteringsidecar_v1_RecordUsageResponse, RecordUsageResponse__Output as _meteringsidecar_v1_RecordUsageResponse__Output } from '../../meteringsidecar/v1/RecordUsageResponse';
import type { ResolveAzureSubscriptionRequest as _meteringsidecar_v1_ResolveAzureSubscriptionRequest, ResolveAzureSubscriptionRequest__Output as _meteringsidecar_v1_ResolveAzureSubscriptionRequest__Output } from '../../meteringsidecar/v1/ResolveAzureSubscriptionRequest';
import type { ResolveAzureSubscriptionResponse as _meteringsidecar_v1_ResolveAzureSubscriptionResponse, ResolveAzureSubscriptionResponse__Output as _meteringsidecar_v1_ResolveAzureSubscriptionResponse__Output } from '../../meteringsidecar/v1/ResolveAzureSubscriptionResponse';
import type { ResolveCustomerRequest as _meteringsidecar_v1_ResolveCustomerRequest, ResolveCustomerRequest__Output as _meteringsidecar_v1_ResolveCustomerRequest__Output } from '../../meteringsidecar/v1/ResolveCustomerRequest';
import type { ResolveCustomerResponse as _meteringsidecar_v1_ResolveCustomerResponse, ResolveCustomerResponse__Output as _meteringsidecar_v1_ResolveCustomerResponse__Output } from '../../meteringsidecar/v1/ResolveCustomerResponse';
import type { RetryDeadLetterRequest as _meteringsidecar_v1_RetryDeadLetterRequest, RetryDeadLetterRequest__Output as _meteringsidecar_v1_RetryDeadLetterRequest__Output } from '../../meteringsidecar/v1/RetryDeadLetterRequest';
import type { RetryDeadLetterResponse as _meteringsidecar_v1_RetryDeadLetterResponse, RetryDeadLetterResponse__Output as _meteringsidecar_v1_RetryDeadLetterResponse__Output } from '../../meteringsidecar/v1/RetryDeadLetterResponse';

export interface MeteringSidecarClient extends grpc.Client {
  ActivateAzureSubscription(argument: _meteringsidecar_v1_ActivateAzureSubscriptionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ActivateAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  ActivateAzureSubscription(argument: _meteringsidecar_v1_ActivateAzureSubscriptionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_ActivateAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  ActivateAzureSubscription(argument: _meteringsidecar_v1_ActivateAzureSubscriptionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ActivateAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  ActivateAzureSubscription(argument: _meteringsidecar_v1_ActivateAzureSubscriptionRequest, callback: grpc.requestCallback<_meteringsidecar_v1_ActivateAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  activateAzureSubscription(argument: _meteringsidecar_v1_ActivateAzureSubscriptionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ActivateAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  activateAzureSubscription(argument: _meteringsidecar_v1_ActivateAzureSubscriptionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_ActivateAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  activateAzureSubscription(argument: _meteringsidecar_v1_ActivateAzureSubscriptionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ActivateAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  activateAzureSubscription(argument: _meteringsidecar_v1_ActivateAzureSubscriptionRequest, callback: grpc.requestCallback<_meteringsidecar_v1_ActivateAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  
  CheckEntitlement(argument: _meteringsidecar_v1_CheckEntitlementRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_CheckEntitlementResponse__Output>): grpc.ClientUnaryCall;
  CheckEntitlement(argument: _meteringsidecar_v1_CheckEntitlementRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_CheckEntitlementResponse__Output>): grpc.ClientUnaryCall;
  CheckEntitlement(argument: _meteringsidecar_v1_CheckEntitlementRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_CheckEntitlementResponse__Output>): grpc.ClientUnaryCall;
  CheckEntitlement(argument: _meteringsidecar_v1_CheckEntitlementRequest, callback: grpc.requestCallback<_meteringsidecar_v1_CheckEntitlementResponse__Output>): grpc.ClientUnaryCall;
  checkEntitlement(argument: _meteringsidecar_v1_CheckEntitlementRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_CheckEntitlementResponse__Output>): grpc.ClientUnaryCall;
  checkEntitlement(argument: _meteringsidecar_v1_CheckEntitlementRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_CheckEntitlementResponse__Output>): grpc.ClientUnaryCall;
  checkEntitlement(argument: _meteringsidecar_v1_CheckEntitlementRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_CheckEntitlementResponse__Output>): grpc.ClientUnaryCall;
  checkEntitlement(argument: _meteringsidecar_v1_CheckEntitlementRequest, callback: grpc.requestCallback<_meteringsidecar_v1_CheckEntitlementResponse__Output>): grpc.ClientUnaryCall;
  
  DiscardDeadLetter(argument: _meteringsidecar_v1_DiscardDeadLetterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_DiscardDeadLetterResponse__Output>): grpc.ClientUnaryCall;
  DiscardDeadLetter(argument: _meteringsidecar_v1_DiscardDeadLetterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_DiscardDeadLetterResponse__Output>): grpc.ClientUnaryCall;
  DiscardDeadLetter(argument: _meteringsidecar_v1_DiscardDeadLetterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_DiscardDeadLetterResponse__Output>): grpc.ClientUnaryCall;
  DiscardDeadLetter(argument: _meteringsidecar_v1_DiscardDeadLetterRequest, callback: grpc.requestCallback<_meteringsidecar_v1_DiscardDeadLetterResponse__Output>): grpc.ClientUnaryCall;
  discardDeadLetter(argument: _meteringsidecar_v1_DiscardDeadLetterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_DiscardDeadLetterResponse__Output>): grpc.ClientUnaryCall;
  discardDeadLetter(argument: _meteringsidecar_v1_DiscardDeadLetterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_DiscardDeadLetterResponse__Output>): grpc.ClientUnaryCall;
  discardDeadLetter(argument: _meteringsidecar_v1_DiscardDeadLetterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_DiscardDeadLetterResponse__Output>): grpc.ClientUnaryCall;
  discardDeadLetter(argument: _meteringsidecar_v1_DiscardDeadLetterRequest, callback: grpc.requestCallback<_meteringsidecar_v1_DiscardDeadLetterResponse__Output>): grpc.ClientUnaryCall;
  
  Flush(argument: _meteringsidecar_v1_FlushRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_FlushResponse__Output>): grpc.ClientUnaryCall;
  Flush(argument: _meteringsidecar_v1_FlushRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_FlushResponse__Output>): grpc.ClientUnaryCall;
  Flush(argument: _meteringsidecar_v1_FlushRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_FlushResponse__Output>): grpc.ClientUnaryCall;
  Flush(argument: _meteringsidecar_v1_FlushRequest, callback: grpc.requestCallback<_meteringsidecar_v1_FlushResponse__Output>): grpc.ClientUnaryCall;
  flush(argument: _meteringsidecar_v1_FlushRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_FlushResponse__Output>): grpc.ClientUnaryCall;
  flush(argument: _meteringsidecar_v1_FlushRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_FlushResponse__Output>): grpc.ClientUnaryCall;
  flush(argument: _meteringsidecar_v1_FlushRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_FlushResponse__Output>): grpc.ClientUnaryCall;
  flush(argument: _meteringsidecar_v1_FlushRequest, callback: grpc.requestCallback<_meteringsidecar_v1_FlushResponse__Output>): grpc.ClientUnaryCall;
  
  GetAzureSubscription(argument: _meteringsidecar_v1_GetAzureSubscriptionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_GetAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  GetAzureSubscription(argument: _meteringsidecar_v1_GetAzureSubscriptionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_GetAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  GetAzureSubscription(argument: _meteringsidecar_v1_GetAzureSubscriptionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_GetAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  GetAzureSubscription(argument: _meteringsidecar_v1_GetAzureSubscriptionRequest, callback: grpc.requestCallback<_meteringsidecar_v1_GetAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  getAzureSubscription(argument: _meteringsidecar_v1_GetAzureSubscriptionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_GetAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  getAzureSubscription(argument: _meteringsidecar_v1_GetAzureSubscriptionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_GetAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  getAzureSubscription(argument: _meteringsidecar_v1_GetAzureSubscriptionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_GetAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  getAzureSubscription(argument: _meteringsidecar_v1_GetAzureSubscriptionRequest, callback: grpc.requestCallback<_meteringsidecar_v1_GetAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  
  GetEntitlements(argument: _meteringsidecar_v1_GetEntitlementsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_GetEntitlementsResponse__Output>): grpc.ClientUnaryCall;
  GetEntitlements(argument: _meteringsidecar_v1_GetEntitlementsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_GetEntitlementsResponse__Output>): grpc.ClientUnaryCall;
  GetEntitlements(argument: _meteringsidecar_v1_GetEntitlementsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_GetEntitlementsResponse__Output>): grpc.ClientUnaryCall;
  GetEntitlements(argument: _meteringsidecar_v1_GetEntitlementsRequest, callback: grpc.requestCallback<_meteringsidecar_v1_GetEntitlementsResponse__Output>): grpc.ClientUnaryCall;
  getEntitlements(argument: _meteringsidecar_v1_GetEntitlementsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_GetEntitlementsResponse__Output>): grpc.ClientUnaryCall;
  getEntitlements(argument: _meteringsidecar_v1_GetEntitlementsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_GetEntitlementsResponse__Output>): grpc.ClientUnaryCall;
  getEntitlements(argument: _meteringsidecar_v1_GetEntitlementsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_GetEntitlementsResponse__Output>): grpc.ClientUnaryCall;
  getEntitlements(argument: _meteringsidecar_v1_GetEntitlementsRequest, callback: grpc.requestCallback<_meteringsidecar_v1_GetEntitlementsResponse__Output>): grpc.ClientUnaryCall;
  
  GetStatus(argument: _meteringsidecar_v1_GetStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _meteringsidecar_v1_GetStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _meteringsidecar_v1_GetStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _meteringsidecar_v1_GetStatusRequest, callback: grpc.requestCallback<_meteringsidecar_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _meteringsidecar_v1_GetStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _meteringsidecar_v1_GetStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _meteringsidecar_v1_GetStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _meteringsidecar_v1_GetStatusRequest, callback: grpc.requestCallback<_meteringsidecar_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  
  ListCustomers(argument: _meteringsidecar_v1_ListCustomersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ListCustomersResponse__Output>): grpc.ClientUnaryCall;
  ListCustomers(argument: _meteringsidecar_v1_ListCustomersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_ListCustomersResponse__Output>): grpc.ClientUnaryCall;
  ListCustomers(argument: _meteringsidecar_v1_ListCustomersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ListCustomersResponse__Output>): grpc.ClientUnaryCall;
  ListCustomers(argument: _meteringsidecar_v1_ListCustomersRequest, callback: grpc.requestCallback<_meteringsidecar_v1_ListCustomersResponse__Output>): grpc.ClientUnaryCall;
  listCustomers(argument: _meteringsidecar_v1_ListCustomersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ListCustomersResponse__Output>): grpc.ClientUnaryCall;
  listCustomers(argument: _meteringsidecar_v1_ListCustomersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_ListCustomersResponse__Output>): grpc.ClientUnaryCall;
  listCustomers(argument: _meteringsidecar_v1_ListCustomersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ListCustomersResponse__Output>): grpc.ClientUnaryCall;
  listCustomers(argument: _meteringsidecar_v1_ListCustomersRequest, callback: grpc.requestCallback<_meteringsidecar_v1_ListCustomersResponse__Output>): grpc.ClientUnaryCall;
  
  ListDeadLetters(argument: _meteringsidecar_v1_ListDeadLettersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  ListDeadLetters(argument: _meteringsidecar_v1_ListDeadLettersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  ListDeadLetters(argument: _meteringsidecar_v1_ListDeadLettersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  ListDeadLetters(argument: _meteringsidecar_v1_ListDeadLettersRequest, callback: grpc.requestCallback<_meteringsidecar_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  listDeadLetters(argument: _meteringsidecar_v1_ListDeadLettersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  listDeadLetters(argument: _meteringsidecar_v1_ListDeadLettersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  listDeadLetters(argument: _meteringsidecar_v1_ListDeadLettersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  listDeadLetters(argument: _meteringsidecar_v1_ListDeadLettersRequest, callback: grpc.requestCallback<_meteringsidecar_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  
  ListRecords(argument: _meteringsidecar_v1_ListRecordsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ListRecordsResponse__Output>): grpc.ClientUnaryCall;
  ListRecords(argument: _meteringsidecar_v1_ListRecordsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_ListRecordsResponse__Output>): grpc.ClientUnaryCall;
  ListRecords(argument: _meteringsidecar_v1_ListRecordsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ListRecordsResponse__Output>): grpc.ClientUnaryCall;
  ListRecords(argument: _meteringsidecar_v1_ListRecordsRequest, callback: grpc.requestCallback<_meteringsidecar_v1_ListRecordsResponse__Output>): grpc.ClientUnaryCall;
  listRecords(argument: _meteringsidecar_v1_ListRecordsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ListRecordsResponse__Output>): grpc.ClientUnaryCall;
  listRecords(argument: _meteringsidecar_v1_ListRecordsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_ListRecordsResponse__Output>): grpc.ClientUnaryCall;
  listRecords(argument: _meteringsidecar_v1_ListRecordsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ListRecordsResponse__Output>): grpc.ClientUnaryCall;
  listRecords(argument: _meteringsidecar_v1_ListRecordsRequest, callback: grpc.requestCallback<_meteringsidecar_v1_ListRecordsResponse__Output>): grpc.ClientUnaryCall;
  
  RecordUsage(argument: _meteringsidecar_v1_RecordUsageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_RecordUsageResponse__Output>): grpc.ClientUnaryCall;
  RecordUsage(argument: _meteringsidecar_v1_RecordUsageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_RecordUsageResponse__Output>): grpc.ClientUnaryCall;
  RecordUsage(argument: _meteringsidecar_v1_RecordUsageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_RecordUsageResponse__Output>): grpc.ClientUnaryCall;
  RecordUsage(argument: _meteringsidecar_v1_RecordUsageRequest, callback: grpc.requestCallback<_meteringsidecar_v1_RecordUsageResponse__Output>): grpc.ClientUnaryCall;
  recordUsage(argument: _meteringsidecar_v1_RecordUsageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_RecordUsageResponse__Output>): grpc.ClientUnaryCall;
  recordUsage(argument: _meteringsidecar_v1_RecordUsageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_RecordUsageResponse__Output>): grpc.ClientUnaryCall;
  recordUsage(argument: _meteringsidecar_v1_RecordUsageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_RecordUsageResponse__Output>): grpc.ClientUnaryCall;
  recordUsage(argument: _meteringsidecar_v1_RecordUsageRequest, callback: grpc.requestCallback<_meteringsidecar_v1_RecordUsageResponse__Output>): grpc.ClientUnaryCall;
  
  RecordUsageBatch(argument: _meteringsidecar_v1_RecordUsageBatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_RecordUsageBatchResponse__Output>): grpc.ClientUnaryCall;
  RecordUsageBatch(argument: _meteringsidecar_v1_RecordUsageBatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_RecordUsageBatchResponse__Output>): grpc.ClientUnaryCall;
  RecordUsageBatch(argument: _meteringsidecar_v1_RecordUsageBatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_RecordUsageBatchResponse__Output>): grpc.ClientUnaryCall;
  RecordUsageBatch(argument: _meteringsidecar_v1_RecordUsageBatchRequest, callback: grpc.requestCallback<_meteringsidecar_v1_RecordUsageBatchResponse__Output>): grpc.ClientUnaryCall;
  recordUsageBatch(argument: _meteringsidecar_v1_RecordUsageBatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_RecordUsageBatchResponse__Output>): grpc.ClientUnaryCall;
  recordUsageBatch(argument: _meteringsidecar_v1_RecordUsageBatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_RecordUsageBatchResponse__Output>): grpc.ClientUnaryCall;
  recordUsageBatch(argument: _meteringsidecar_v1_RecordUsageBatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_RecordUsageBatchResponse__Output>): grpc.ClientUnaryCall;
  recordUsageBatch(argument: _meteringsidecar_v1_RecordUsageBatchRequest, callback: grpc.requestCallback<_meteringsidecar_v1_RecordUsageBatchResponse__Output>): grpc.ClientUnaryCall;
  
  ResolveAzureSubscription(argument: _meteringsidecar_v1_ResolveAzureSubscriptionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ResolveAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  ResolveAzureSubscription(argument: _meteringsidecar_v1_ResolveAzureSubscriptionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_ResolveAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  ResolveAzureSubscription(argument: _meteringsidecar_v1_ResolveAzureSubscriptionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ResolveAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  ResolveAzureSubscription(argument: _meteringsidecar_v1_ResolveAzureSubscriptionRequest, callback: grpc.requestCallback<_meteringsidecar_v1_ResolveAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  resolveAzureSubscription(argument: _meteringsidecar_v1_ResolveAzureSubscriptionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ResolveAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  resolveAzureSubscription(argument: _meteringsidecar_v1_ResolveAzureSubscriptionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_ResolveAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  resolveAzureSubscription(argument: _meteringsidecar_v1_ResolveAzureSubscriptionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ResolveAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  resolveAzureSubscription(argument: _meteringsidecar_v1_ResolveAzureSubscriptionRequest, callback: grpc.requestCallback<_meteringsidecar_v1_ResolveAzureSubscriptionResponse__Output>): grpc.ClientUnaryCall;
  
  ResolveCustomer(argument: _meteringsidecar_v1_ResolveCustomerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ResolveCustomerResponse__Output>): grpc.ClientUnaryCall;
  ResolveCustomer(argument: _meteringsidecar_v1_ResolveCustomerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_ResolveCustomerResponse__Output>): grpc.ClientUnaryCall;
  ResolveCustomer(argument: _meteringsidecar_v1_ResolveCustomerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ResolveCustomerResponse__Output>): grpc.ClientUnaryCall;
  ResolveCustomer(argument: _meteringsidecar_v1_ResolveCustomerRequest, callback: grpc.requestCallback<_meteringsidecar_v1_ResolveCustomerResponse__Output>): grpc.ClientUnaryCall;
  resolveCustomer(argument: _meteringsidecar_v1_ResolveCustomerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ResolveCustomerResponse__Output>): grpc.ClientUnaryCall;
  resolveCustomer(argument: _meteringsidecar_v1_ResolveCustomerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_ResolveCustomerResponse__Output>): grpc.ClientUnaryCall;
  resolveCustomer(argument: _meteringsidecar_v1_ResolveCustomerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_ResolveCustomerResponse__Output>): grpc.ClientUnaryCall;
  resolveCustomer(argument: _meteringsidecar_v1_ResolveCustomerRequest, callback: grpc.requestCallback<_meteringsidecar_v1_ResolveCustomerResponse__Output>): grpc.ClientUnaryCall;
  
  RetryDeadLetter(argument: _meteringsidecar_v1_RetryDeadLetterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_RetryDeadLetterResponse__Output>): grpc.ClientUnaryCall;
  RetryDeadLetter(argument: _meteringsidecar_v1_RetryDeadLetterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_RetryDeadLetterResponse__Output>): grpc.ClientUnaryCall;
  RetryDeadLetter(argument: _meteringsidecar_v1_RetryDeadLetterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_RetryDeadLetterResponse__Output>): grpc.ClientUnaryCall;
  RetryDeadLetter(argument: _meteringsidecar_v1_RetryDeadLetterRequest, callback: grpc.requestCallback<_meteringsidecar_v1_RetryDeadLetterResponse__Output>): grpc.ClientUnaryCall;
  retryDeadLetter(argument: _meteringsidecar_v1_RetryDeadLetterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_RetryDeadLetterResponse__Output>): grpc.ClientUnaryCall;
  retryDeadLetter(argument: _meteringsidecar_v1_RetryDeadLetterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_meteringsidecar_v1_RetryDeadLetterResponse__Output>): grpc.ClientUnaryCall;
  retryDeadLetter(argument: _meteringsidecar_v1_RetryDeadLetterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_meteringsidecar_v1_RetryDeadLetterResponse__Output>): grpc.ClientUnaryCall;
  retryDeadLetter(argument: _meteringsidecar_v1_RetryDeadLetterRequest, callback: grpc.requestCallback<_meteringsidecar_v1_RetryDeadLetterResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface MeteringSidecarHandlers extends grpc.UntypedServiceImplementation {
  ActivateAzureSubscription: grpc.handleUnaryCall<_meteringsidecar_v1_ActivateAzureSubscriptionRequest__Output, _meteringsidecar_v1_ActivateAzureSubscriptionResponse>;
  
  CheckEntitlement: grpc.handleUnaryCall<_meteringsidecar_v1_CheckEntitlementRequest__Output, _meteringsidecar_v1_CheckEntitlementResponse>;
  
  DiscardDeadLetter: grpc.handleUnaryCall<_meteringsidecar_v1_DiscardDeadLetterRequest__Output, _meteringsidecar_v1_DiscardDeadLetterResponse>;
  
  Flush: grpc.handleUnaryCall<_meteringsidecar_v1_FlushRequest__Output, _meteringsidecar_v1_FlushResponse>;
  
  GetAzureSubscription: grpc.handleUnaryCall<_meteringsidecar_v1_GetAzureSubscriptionRequest__Output, _meteringsidecar_v1_GetAzureSubscriptionResponse>;
  
  GetEntitlements: grpc.handleUnaryCall<_meteringsidecar_v1_GetEntitlementsRequest__Output, _meteringsidecar_v1_GetEntitlementsResponse>;
  
  GetStatus: grpc.handleUnaryCall<_meteringsidecar_v1_GetStatusRequest__Output, _meteringsidecar_v1_GetStatusResponse>;
  
  ListCustomers: grpc.handleUnaryCall<_meteringsidecar_v1_ListCustomersRequest__Output, _meteringsidecar_v1_ListCustomersResponse>;
  
  ListDeadLetters: grpc.handleUnaryCall<_meteringsidecar_v1_ListDeadLettersRequest__Output, _meteringsidecar_v1_ListDeadLettersResponse>;
  
  ListRecords: grpc.handleUnaryCall<_meteringsidecar_v1_ListRecordsRequest__Output, _meteringsidecar_v1_ListRecordsResponse>;
  
  RecordUsage: grpc.handleUnaryCall<_meteringsidecar_v1_RecordUsageRequest__Output, _meteringsidecar_v1_RecordUsageResponse>;
  
  RecordUsageBatch: grpc.handleUnaryCall<_meteringsidecar_v1_RecordUsageBatchRequest__Output, _meteringsidecar_v1_RecordUsageBatchResponse>;
  
  ResolveAzureSubscription: grpc.handleUnaryCall<_meteringsidecar_v1_ResolveAzureSubscriptionRequest__Output, _meteringsidecar_v1_ResolveAzureSubscriptionResponse>;
  
  ResolveCustomer: grpc.handleUnaryCall<_meteringsidecar_v1_ResolveCustomerRequest__Output, _meteringsidecar_v1_ResolveCustomerResponse>;
  
  RetryDeadLetter: grpc.handleUnaryCall<_meteringsidecar_v1_RetryDeadLetterRequest__Output, _meteringsidecar_v1_RetryDeadLetterResponse>;
  
}

export interface MeteringSidecarDefinition extends grpc.ServiceDefinition {
  ActivateAzureSubscription: MethodDefinition<_meteringsidecar_v1_ActivateAzureSubscriptionRequest, _meteringsidecar_v1_ActivateAzureSubscriptionResponse, _meteringsidecar_v1_ActivateAzureSubscriptionRequest__Output, _meteringsidecar_v1_ActivateAzureSubscriptionResponse__Output>
  CheckEntitlement: MethodDefinition<_meteringsidecar_v1_CheckEntitlementRequest, _meteringsidecar_v1_CheckEntitlementResponse, _meteringsidecar_v1_CheckEntitlementRequest__Output, _meteringsidecar_v1_CheckEntitlementResponse__Output>
  DiscardDeadLetter: MethodDefinition<_meteringsidecar_v1_DiscardDeadLetterRequest, _meteringsidecar_v1_DiscardDeadLetterResponse, _meteringsidecar_v1_DiscardDeadLetterRequest__Output, _meteringsidecar_v1_DiscardDeadLetterResponse__Output>
  Flush: MethodDefinition<_meteringsidecar_v1_FlushRequest, _meteringsidecar_v1_FlushResponse, _meteringsidecar_v1_FlushRequest__Output, _meteringsidecar_v1_FlushResponse__Output>
  GetAzureSubscription: MethodDefinition<_meteringsidecar_v1_GetAzureSubscriptionRequest, _meteringsidecar_v1_GetAzureSubscriptionResponse, _meteringsidecar_v1_GetAzureSubscriptionRequest__Output, _meteringsidecar_v1_GetAzureSubscriptionResponse__Output>
  GetEntitlements: MethodDefinition<_meteringsidecar_v1_GetEntitlementsRequest, _meteringsidecar_v1_GetEntitlementsResponse, _meteringsidecar_v1_GetEntitlementsRequest__Output, _meteringsidecar_v1_GetEntitlementsResponse__Output>
  GetStatus: MethodDefinition<_meteringsidecar_v1_GetStatusRequest, _meteringsidecar_v1_GetStatusResponse, _meteringsidecar_v1_GetStatusRequest__Output, _meteringsidecar_v1_GetStatusResponse__Output>
  ListCustomers: MethodDefinition<_meteringsidecar_v1_ListCustomersRequest, _meteringsidecar_v1_ListCustomersResponse, _meteringsidecar_v1_ListCustomersRequest__Output, _meteringsidecar_v1_ListCustomersResponse__Output>
  ListDeadLetters: MethodDefinition<_meteringsidecar_v1_ListDeadLettersRequest, _meteringsidecar_v1_ListDeadLettersResponse, _meteringsidecar_v1_ListDeadLettersRequest__Output, _meteringsidecar_v1_ListDeadLettersResponse__Output>
  ListRecords: MethodDefinition<_meteringsidecar_v1_ListRecordsRequest, _meteringsidecar_v1_ListRecordsResponse, _meteringsidecar_v1_ListRecordsRequest__Output, _meteringsidecar_v1_ListRecordsResponse__Output>
  RecordUsage: MethodDefinition<_meteringsidecar_v1_RecordUsageRequest, _meteringsidecar_v1_RecordUsageResponse, _meteringsidecar_v1_RecordUsageRequest__Output, _meteringsidecar_v1_RecordUsageResponse__Output>
  RecordUsageBatch: MethodDefinition<_meteringsidecar_v1_RecordUsageBatchRequest, _meteringsidecar_v1_RecordUsageBatchResponse, _meteringsidecar_v1_RecordUsageBatchRequest__Output, _meteringsidecar_v1_RecordUsageBatchResponse__Output>
  ResolveAzureSubscription: MethodDefinition<_meteringsidecar_v1_ResolveAzureSubscriptionRequest, _meteringsidecar_v1_ResolveAzureSubscriptionResponse, _meteringsidecar_v1_ResolveAzureSubscriptionRequest__Output, _meteringsidecar_v1_ResolveAzureSubscriptionResponse__Output>
  ResolveCustomer: MethodDefinition<_meteringsidecar_v1_ResolveCustomerRequest, _meteringsidecar_v1_ResolveCustomerResponse, _meteringsidecar_v1_ResolveCustomerRequest__Output, _meteringsidecar_v1_ResolveCustomerResponse__Output>
  RetryDeadLetter: MethodDefinition<_meteringsidecar_v1_RetryDeadLetterRequest, _meteringsidecar_v1_RetryDeadLetterResponse, _meteringsidecar_v1_RetryDeadLetterRequest__Output, _meteringsidecar_v1_RetryDeadLetterResponse__Output>
}

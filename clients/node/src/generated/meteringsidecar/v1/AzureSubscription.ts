// Original file: meteringsidecar/v1/sidecar.proto

import type { Long } from '@grpc/proto-loader';

export interface AzureSubscription {
  'subscription_id'?: (string);
  'offer_id'?: (string);
  'plan_id'?: (string);
  'quantity'?: (number | string | Long);
  'status'?: (string);
  'name'?: (string);
  'purchaser_tenant_id'?: (string);
  'beneficiary_tenant_id'?: (string);
  'tenant_id'?: (string);
}

export interface AzureSubscription__Output {
  'subscription_id': (string);
  'offer_id': (string);
  'plan_id': (string);
  'quantity': (string);
  'status': (string);
  'name': (string);
  'purchaser_tenant_id': (string);
  'beneficiary_tenant_id': (string);
  'tenant_id': (string);
}

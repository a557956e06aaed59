// Original file: meteringsidecar/v1/sidecar.proto

import type { Long } from '@grpc/proto-loader';

export interface ActivateAzureSubscriptionRequest {
  'subscription_id'?: (string);
  'plan_id'?: (string);
  'quantity'?: (number | string | Long);
}

export interface ActivateAzureSubscriptionRequest__Output {
  'subscription_id': (string);
  'plan_id': (string);
  'quantity': (string);
}

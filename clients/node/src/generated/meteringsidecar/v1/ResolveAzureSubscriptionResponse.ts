// Original file: meteringsidecar/v1/sidecar.proto

import type { AzureSubscription as _meteringsidecar_v1_AzureSubscription, AzureSubscription__Output as _meteringsidecar_v1_AzureSubscription__Output } from '../../meteringsidecar/v1/AzureSubscription';

export interface ResolveAzureSubscriptionResponse {
  'subscription'?: (_meteringsidecar_v1_AzureSubscription | null);
  'new_subscription'?: (boolean);
}

export interface ResolveAzureSubscriptionResponse__Output {
  'subscription': (_meteringsidecar_v1_AzureSubscription__Output | null);
  'new_subscription': (boolean);
}

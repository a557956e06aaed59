// Original file: meteringsidecar/v1/sidecar.proto

import type { AzureSubscription as _meteringsidecar_v1_AzureSubscription, AzureSubscription__Output as _meteringsidecar_v1_AzureSubscription__Output } from '../../meteringsidecar/v1/AzureSubscription';

export interface ActivateAzureSubscriptionResponse {
  'subscription'?: (_meteringsidecar_v1_AzureSubscription | null);
}

export interface ActivateAzureSubscriptionResponse__Output {
  'subscription': (_meteringsidecar_v1_AzureSubscription__Output | null);
}

// Original file: meteringsidecar/v1/sidecar.proto

import type { AzureSubscription as _meteringsidecar_v1_AzureSubscription, AzureSubscription__Output as _meteringsidecar_v1_AzureSubscription__Output } from '../../meteringsidecar/v1/AzureSubscription';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

export interface GetAzureSubscriptionResponse {
  'subscription'?: (_meteringsidecar_v1_AzureSubscription | null);
  'stale'?: (boolean);
  'fetched_at'?: (_google_protobuf_Timestamp | null);
}

export interface GetAzureSubscriptionResponse__Output {
  'subscription': (_meteringsidecar_v1_AzureSubscription__Output | null);
  'stale': (boolean);
  'fetched_at': (_google_protobuf_Timestamp__Output | null);
}

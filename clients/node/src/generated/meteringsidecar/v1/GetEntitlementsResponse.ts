// Original file: meteringsidecar/v1/sidecar.proto

import type { Entitlement as _meteringsidecar_v1_Entitlement, Entitlement__Output as _meteringsidecar_v1_Entitlement__Output } from '../../meteringsidecar/v1/Entitlement';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

export interface GetEntitlementsResponse {
  'entitlements'?: (_meteringsidecar_v1_Entitlement)[];
  'stale'?: (boolean);
  'fetched_at'?: (_google_protobuf_Timestamp | null);
}

export interface GetEntitlementsResponse__Output {
  'entitlements': (_meteringsidecar_v1_Entitlement__Output)[];
  'stale': (boolean);
  'fetched_at': (_google_protobuf_Timestamp__Output | null);
}

// Original file: meteringsidecar/v1/sidecar.proto

import type { Entitlement as _meteringsidecar_v1_Entitlement, Entitlement__Output as _meteringsidecar_v1_Entitlement__Output } from '../../meteringsidecar/v1/Entitlement';

export interface CheckEntitlementResponse {
  'entitled'?: (boolean);
  'entitlement'?: (_meteringsidecar_v1_Entitlement | null);
  'stale'?: (boolean);
}

export interface CheckEntitlementResponse__Output {
  'entitled': (boolean);
  'entitlement': (_meteringsidecar_v1_Entitlement__Output | null);
  'stale': (boolean);
}

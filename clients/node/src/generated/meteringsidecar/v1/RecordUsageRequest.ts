// Original file: meteringsidecar/v1/sidecar.proto

import type { UsageEvent as _meteringsidecar_v1_UsageEvent, UsageEvent__Output as _meteringsidecar_v1_UsageEvent__Output } from '../../meteringsidecar/v1/UsageEvent';

export interface RecordUsageRequest {
  'event'?: (_meteringsidecar_v1_UsageEvent | null);
}

export interface RecordUsageRequest__Output {
  'event': (_meteringsidecar_v1_UsageEvent__Output | null);
}

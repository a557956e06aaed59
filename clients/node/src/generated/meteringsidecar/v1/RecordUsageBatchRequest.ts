// Original file: meteringsidecar/v1/sidecar.proto

import type { UsageEvent as _meteringsidecar_v1_UsageEvent, UsageEvent__Output as _meteringsidecar_v1_UsageEvent__Output } from '../../meteringsidecar/v1/UsageEvent';

export interface RecordUsageBatchRequest {
  'events'?: (_meteringsidecar_v1_UsageEvent)[];
}

export interface RecordUsageBatchRequest__Output {
  'events': (_meteringsidecar_v1_UsageEvent__Output)[];
}

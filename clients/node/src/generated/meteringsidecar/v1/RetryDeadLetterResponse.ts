// Original file: meteringsidecar/v1/sidecar.proto

import type { MeteringRecord as _meteringsidecar_v1_MeteringRecord, MeteringRecord__Output as _meteringsidecar_v1_MeteringRecord__Output } from '../../meteringsidecar/v1/MeteringRecord';

export interface RetryDeadLetterResponse {
  'record'?: (_meteringsidecar_v1_MeteringRecord | null);
}

export interface RetryDeadLetterResponse__Output {
  'record': (_meteringsidecar_v1_MeteringRecord__Output | null);
}

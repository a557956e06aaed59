// Original file: meteringsidecar/v1/sidecar.proto

import type { MeteringRecord as _meteringsidecar_v1_MeteringRecord, MeteringRecord__Output as _meteringsidecar_v1_MeteringRecord__Output } from '../../meteringsidecar/v1/MeteringRecord';

export interface ListRecordsResponse {
  'records'?: (_meteringsidecar_v1_MeteringRecord)[];
  'next_page_token'?: (string);
}

export interface ListRecordsResponse__Output {
  'records': (_meteringsidecar_v1_MeteringRecord__Output)[];
  'next_page_token': (string);
}

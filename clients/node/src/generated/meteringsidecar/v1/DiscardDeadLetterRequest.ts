// Original file: meteringsidecar/v1/sidecar.proto

import type { Long } from '@grpc/proto-loader';

export interface DiscardDeadLetterRequest {
  'id'?: (number | string | Long);
  'reason'?: (string);
}

export interface DiscardDeadLetterRequest__Output {
  'id': (string);
  'reason': (string);
}

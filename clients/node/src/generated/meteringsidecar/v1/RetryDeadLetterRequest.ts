// Original file: meteringsidecar/v1/sidecar.proto

import type { Long } from '@grpc/proto-loader';

export interface RetryDeadLetterRequest {
  'id'?: (number | string | Long);
}

export interface RetryDeadLetterRequest__Output {
  'id': (string);
}

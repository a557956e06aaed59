// Original file: meteringsidecar/v1/sidecar.proto

import type { Long } from '@grpc/proto-loader';

export interface FlushResponse {
  'sealed_records'?: (number | string | Long);
  'billed_records'?: (number | string | Long);
  'dead_letter_records'?: (number | string | Long);
  'retry_records'?: (number | string | Long);
}

export interface FlushResponse__Output {
  'sealed_records': (string);
  'billed_records': (string);
  'dead_letter_records': (string);
  'retry_records': (string);
}

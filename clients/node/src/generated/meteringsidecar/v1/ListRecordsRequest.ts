// Original file: meteringsidecar/v1/sidecar.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

export interface ListRecordsRequest {
  'since'?: (_google_protobuf_Timestamp | null);
  'state'?: (string);
  'page_size'?: (number);
  'page_token'?: (string);
}

export interface ListRecordsRequest__Output {
  'since': (_google_protobuf_Timestamp__Output | null);
  'state': (string);
  'page_size': (number);
  'page_token': (string);
}

// Original file: meteringsidecar/v1/sidecar.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';
import type { Long } from '@grpc/proto-loader';

export interface GetStatusResponse {
  'pending_events'?: (number | string | Long);
  'dead_letter_records'?: (number | string | Long);
  'billed_records'?: (number | string | Long);
  'rolled_forward_events'?: (number | string | Long);
  'oldest_pending_event'?: (_google_protobuf_Timestamp | null);
  'pending_records'?: (number | string | Long);
  'sealed_through'?: (_google_protobuf_Timestamp | null);
  'last_shipment'?: (_google_protobuf_Timestamp | null);
  'shipping_error'?: (string);
  'open_dead_letter_records'?: (number | string | Long);
  'skipped_records'?: (number | string | Long);
}

export interface GetStatusResponse__Output {
  'pending_events': (string);
  'dead_letter_records': (string);
  'billed_records': (string);
  'rolled_forward_events': (string);
  'oldest_pending_event': (_google_protobuf_Timestamp__Output | null);
  'pending_records': (string);
  'sealed_through': (_google_protobuf_Timestamp__Output | null);
  'last_shipment': (_google_protobuf_Timestamp__Output | null);
  'shipping_error': (string);
  'open_dead_letter_records': (string);
  'skipped_records': (string);
}

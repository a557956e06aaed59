// Original file: meteringsidecar/v1/sidecar.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';
import type { Long } from '@grpc/proto-loader';

export interface MeteringRecord {
  'id'?: (number | string | Long);
  'state'?: (string);
  'product_code'?: (string);
  'license_arn'?: (string);
  'customer_aws_account_id'?: (string);
  'customer_identifier'?: (string);
  'dimension'?: (string);
  'quantity'?: (number | string | Long);
  'timestamp'?: (_google_protobuf_Timestamp | null);
  'window_start'?: (_google_protobuf_Timestamp | null);
  'metering_record_id'?: (string);
  'reason'?: (string);
  'message'?: (string);
  'attempts'?: (number);
  'request_json'?: (string);
  'sealed_at'?: (_google_protobuf_Timestamp | null);
  'finished_at'?: (_google_protobuf_Timestamp | null);
  'event_count'?: (number | string | Long);
  'discard_reason'?: (string);
  'marketplace'?: (string);
  'azure_resource_id'?: (string);
  'quantity_decimal'?: (string);
}

export interface MeteringRecord__Output {
  'id': (string);
  'state': (string);
  'product_code': (string);
  'license_arn': (string);
  'customer_aws_account_id': (string);
  'customer_identifier': (string);
  'dimension': (string);
  'quantity': (string);
  'timestamp': (_google_protobuf_Timestamp__Output | null);
  'window_start': (_google_protobuf_Timestamp__Output | null);
  'metering_record_id': (string);
  'reason': (string);
  'message': (string);
  'attempts': (number);
  'request_json': (string);
  'sealed_at': (_google_protobuf_Timestamp__Output | null);
  'finished_at': (_google_protobuf_Timestamp__Output | null);
  'event_count': (string);
  'discard_reason': (string);
  'marketplace': (string);
  'azure_resource_id': (string);
  'quantity_decimal': (string);
}

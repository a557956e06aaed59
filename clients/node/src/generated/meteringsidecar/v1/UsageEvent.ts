// Original file: meteringsidecar/v1/sidecar.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';
import type { Long } from '@grpc/proto-loader';

export interface UsageEvent {
  'event_id'?: (string);
  'customer_aws_account_id'?: (string);
  'customer_identifier'?: (string);
  'license_arn'?: (string);
  'product_code'?: (string);
  'dimension'?: (string);
  'quantity'?: (number | string | Long);
  'timestamp'?: (_google_protobuf_Timestamp | null);
  'tags'?: ({[key: string]: string});
  'azure_resource_id'?: (string);
  'azure_plan_id'?: (string);
  'quantity_decimal'?: (string);
}

export interface UsageEvent__Output {
  'event_id': (string);
  'customer_aws_account_id': (string);
  'customer_identifier': (string);
  'license_arn': (string);
  'product_code': (string);
  'dimension': (string);
  'quantity': (string);
  'timestamp': (_google_protobuf_Timestamp__Output | null);
  'tags': ({[key: string]: string});
  'azure_resource_id': (string);
  'azure_plan_id': (string);
  'quantity_decimal': (string);
}

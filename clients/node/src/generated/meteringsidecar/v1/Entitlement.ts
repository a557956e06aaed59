// Original file: meteringsidecar/v1/sidecar.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';
import type { Long } from '@grpc/proto-loader';

export interface Entitlement {
  'product_code'?: (string);
  'dimension'?: (string);
  'customer_aws_account_id'?: (string);
  'customer_identifier'?: (string);
  'license_arn'?: (string);
  'expiration_date'?: (_google_protobuf_Timestamp | null);
  'integer_value'?: (number | string | Long);
  'double_value'?: (number | string);
  'boolean_value'?: (boolean);
  'string_value'?: (string);
  'value'?: "integer_value"|"double_value"|"boolean_value"|"string_value";
}

export interface Entitlement__Output {
  'product_code': (string);
  'dimension': (string);
  'customer_aws_account_id': (string);
  'customer_identifier': (string);
  'license_arn': (string);
  'expiration_date': (_google_protobuf_Timestamp__Output | null);
  'integer_value'?: (string);
  'double_value'?: (number);
  'boolean_value'?: (boolean);
  'string_value'?: (string);
  'value'?: "integer_value"|"double_value"|"boolean_value"|"string_value";
}

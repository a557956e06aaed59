// Original file: meteringsidecar/v1/sidecar.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

export interface Customer {
  'customer_identifier'?: (string);
  'customer_aws_account_id'?: (string);
  'product_code'?: (string);
  'license_arn'?: (string);
  'tenant_id'?: (string);
  'first_resolved_at'?: (_google_protobuf_Timestamp | null);
  'last_resolved_at'?: (_google_protobuf_Timestamp | null);
}

export interface Customer__Output {
  'customer_identifier': (string);
  'customer_aws_account_id': (string);
  'product_code': (string);
  'license_arn': (string);
  'tenant_id': (string);
  'first_resolved_at': (_google_protobuf_Timestamp__Output | null);
  'last_resolved_at': (_google_protobuf_Timestamp__Output | null);
}

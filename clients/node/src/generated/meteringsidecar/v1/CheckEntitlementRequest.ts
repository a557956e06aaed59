// Original file: meteringsidecar/v1/sidecar.proto


export interface CheckEntitlementRequest {
  'customer_aws_account_id'?: (string);
  'customer_identifier'?: (string);
  'license_arn'?: (string);
  'dimension'?: (string);
  'product_code'?: (string);
}

export interface CheckEntitlementRequest__Output {
  'customer_aws_account_id': (string);
  'customer_identifier': (string);
  'license_arn': (string);
  'dimension': (string);
  'product_code': (string);
}

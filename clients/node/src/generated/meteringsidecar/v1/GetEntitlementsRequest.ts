// Original file: meteringsidecar/v1/sidecar.proto


export interface GetEntitlementsRequest {
  'product_code'?: (string);
  'customer_aws_account_id'?: (string);
  'customer_identifier'?: (string);
  'license_arn'?: (string);
  'dimension'?: (string);
}

export interface GetEntitlementsRequest__Output {
  'product_code': (string);
  'customer_aws_account_id': (string);
  'customer_identifier': (string);
  'license_arn': (string);
  'dimension': (string);
}

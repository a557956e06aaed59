// Original file: meteringsidecar/v1/sidecar.proto


export interface ResolveCustomerResponse {
  'customer_identifier'?: (string);
  'customer_aws_account_id'?: (string);
  'product_code'?: (string);
  'license_arn'?: (string);
  'new_customer'?: (boolean);
  'tenant_id'?: (string);
}

export interface ResolveCustomerResponse__Output {
  'customer_identifier': (string);
  'customer_aws_account_id': (string);
  'product_code': (string);
  'license_arn': (string);
  'new_customer': (boolean);
  'tenant_id': (string);
}

// Original file: meteringsidecar/v1/sidecar.proto


export interface ResolveCustomerRequest {
  'registration_token'?: (string);
  'tenant_id'?: (string);
}

export interface ResolveCustomerRequest__Output {
  'registration_token': (string);
  'tenant_id': (string);
}

// Original file: meteringsidecar/v1/sidecar.proto


export interface ResolveAzureSubscriptionRequest {
  'marketplace_token'?: (string);
  'tenant_id'?: (string);
}

export interface ResolveAzureSubscriptionRequest__Output {
  'marketplace_token': (string);
  'tenant_id': (string);
}

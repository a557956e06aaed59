// Original file: meteringsidecar/v1/sidecar.proto


export interface GetAzureSubscriptionRequest {
  'subscription_id'?: (string);
}

export interface GetAzureSubscriptionRequest__Output {
  'subscription_id': (string);
}

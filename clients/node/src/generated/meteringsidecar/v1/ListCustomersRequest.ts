// Original file: meteringsidecar/v1/sidecar.proto


export interface ListCustomersRequest {
  'page_size'?: (number);
  'page_token'?: (string);
}

export interface ListCustomersRequest__Output {
  'page_size': (number);
  'page_token': (string);
}

// Original file: meteringsidecar/v1/sidecar.proto


export interface ListDeadLettersRequest {
  'include_discarded'?: (boolean);
  'page_size'?: (number);
  'page_token'?: (string);
}

export interface ListDeadLettersRequest__Output {
  'include_discarded': (boolean);
  'page_size': (number);
  'page_token': (string);
}

// Original file: meteringsidecar/v1/sidecar.proto


export interface RecordUsageBatchResponse {
  'accepted'?: (number);
  'duplicates'?: (number);
}

export interface RecordUsageBatchResponse__Output {
  'accepted': (number);
  'duplicates': (number);
}

// Original file: meteringsidecar/v1/sidecar.proto


export interface RecordUsageResponse {
  'duplicate'?: (boolean);
  'event_id'?: (string);
}

export interface RecordUsageResponse__Output {
  'duplicate': (boolean);
  'event_id': (string);
}

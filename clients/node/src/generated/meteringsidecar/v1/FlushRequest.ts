// Original file: meteringsidecar/v1/sidecar.proto


export interface FlushRequest {
}

export interface FlushRequest__Output {
}

// Original file: meteringsidecar/v1/sidecar.proto


export interface GetStatusRequest {
}

export interface GetStatusRequest__Output {
}

// Original file: /work/main/proto/meteringsidecar/v1/sidecar.proto


export interface GetStatusRequest {
}

export interface GetStatusRequest__Output {
}

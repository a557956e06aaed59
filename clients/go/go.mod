module github.com/metering-sidecar/metering-sidecar/clients/go

go 1.19

require (
	github.com/golang/protobuf v1.3.5
	google.golang.org/grpc v1.33.3
)

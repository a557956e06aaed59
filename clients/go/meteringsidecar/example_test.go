package meteringsidecar_test

import (
	"context"
	"log"
	"time"

	"github.com/metering-sidecar/metering-sidecar/clients/go/meteringsidecar"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Record one event. The context is the call's deadline, retries included; the event id is made
// once, before the first attempt, and every retry reuses it.
func ExampleClient_Record() {
	client, err := meteringsidecar.New("unix:///run/metering-sidecar/api.sock", meteringsidecar.Options{
		AttemptTimeout: 2 * time.Second,
		TokenFile:      "/run/secrets/metering-sidecar-token",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	usage := &meteringsidecar.Usage{
		CustomerAWSAccountID: "111122223333",
		Dimension:            "requests",
		Quantity:             3,
		Tags:                 map[string]string{"team": "search"},
	}
	if _, err := client.Record(ctx, usage); err != nil {
		switch status.Code(err) {
		case codes.DeadlineExceeded, codes.Canceled:
			// This call's own deadline or cancellation: the sidecar may or may not have the event.
			// Recording the same usage again (same EventID) is safe: it is counted once.
			log.Printf("retry later with event id %s", usage.EventID)
		case codes.InvalidArgument, codes.AlreadyExists:
			log.Printf("refused: %v", err) // never retried: fix the event
		default:
			log.Print(err) // retries (same event id) ran out of budget
		}
	}
}

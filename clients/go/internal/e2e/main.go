// Command e2e is driven by tests/test_clients.py: it sends COUNT events through the client while
// the test kills and restarts the sidecar, then prints what was acknowledged as one JSON line.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/metering-sidecar/metering-sidecar/clients/go/meteringsidecar"
)

func main() {
	count, _ := strconv.Atoi(os.Getenv("COUNT"))
	client, err := meteringsidecar.New(os.Getenv("TARGET"), meteringsidecar.Options{AttemptTimeout: 2 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer client.Close()
	acked := map[string]int64{}
	ctx := context.Background()
	for i := 0; i < count; i++ {
		dimension := "storage"
		if i%2 == 1 {
			dimension = "requests"
		}
		usage := &meteringsidecar.Usage{
			EventID: fmt.Sprintf("%s-%d", os.Getenv("PREFIX"), i), CustomerAWSAccountID: "777788889999",
			Dimension: dimension, Quantity: int64(1 + i%7), Tags: map[string]string{"team": "go"},
		}
		if i%10 == 0 {
			_, err = client.RecordBatch(ctx, []*meteringsidecar.Usage{usage})
		} else {
			_, err = client.Record(ctx, usage)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		acked[dimension] += usage.Quantity
		if i == count/4 {
			fmt.Fprintln(os.Stderr, "QUARTER")
		}
		time.Sleep(5 * time.Millisecond)
	}
	out, _ := json.Marshal(map[string]interface{}{"acked": acked})
	fmt.Println(string(out))
}

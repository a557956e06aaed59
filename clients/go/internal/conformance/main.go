// Command conformance runs the language-neutral cases in clients/conformance against a real sidecar.
// tests/test_clients.py starts it once and writes one request per line on stdin; it answers each
// with one JSON line on stdout (see clients/conformance/README.md for the protocol).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/metering-sidecar/metering-sidecar/clients/go/meteringsidecar"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type usage struct {
	EventID              string            `json:"event_id"`
	CustomerAWSAccountID string            `json:"customer_aws_account_id"`
	LicenseArn           string            `json:"license_arn"`
	Dimension            string            `json:"dimension"`
	Quantity             int64             `json:"quantity"`
	Tags                 map[string]string `json:"tags"`
}

type request struct {
	Target string `json:"target"`
	Client struct {
		AttemptTimeoutMs int64  `json:"attempt_timeout_ms"`
		RetryBudgetMs    int64  `json:"retry_budget_ms"`
		Token            string `json:"token"`
	} `json:"client"`
	Call struct {
		Method        string  `json:"method"`
		Usages        []usage `json:"usages"`
		DeadlineMs    int64   `json:"deadline_ms"`
		CancelAfterMs int64   `json:"cancel_after_ms"`
	} `json:"call"`
}

type result struct {
	Outcome  string   `json:"outcome"`
	EventIDs []string `json:"event_ids"`
	Message  string   `json:"message,omitempty"`
}

// codeName spells a status code the way the gRPC spec (and every other client) does: UNAVAILABLE.
func codeName(code codes.Code) string {
	if code == codes.Canceled {
		return "CANCELLED"
	}
	name := code.String()
	var out strings.Builder
	for i, r := range name {
		if i > 0 && r >= 'A' && r <= 'Z' {
			out.WriteByte('_')
		}
		out.WriteRune(r)
	}
	return strings.ToUpper(out.String())
}

func run(req request) result {
	client, err := meteringsidecar.New(req.Target, meteringsidecar.Options{
		AttemptTimeout: time.Duration(req.Client.AttemptTimeoutMs) * time.Millisecond,
		RetryBudget:    time.Duration(req.Client.RetryBudgetMs) * time.Millisecond,
		Token:          req.Client.Token,
	})
	if err != nil {
		return result{Outcome: "CLIENT_ERROR", Message: err.Error()}
	}
	defer client.Close()
	ctx := context.Background()
	if req.Call.DeadlineMs > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(req.Call.DeadlineMs)*time.Millisecond)
		defer cancel()
	}
	if req.Call.CancelAfterMs > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		timer := time.AfterFunc(time.Duration(req.Call.CancelAfterMs)*time.Millisecond, cancel)
		defer timer.Stop()
		defer cancel()
	}
	usages := make([]*meteringsidecar.Usage, 0, len(req.Call.Usages))
	for _, u := range req.Call.Usages {
		usages = append(usages, &meteringsidecar.Usage{
			EventID: u.EventID, CustomerAWSAccountID: u.CustomerAWSAccountID, LicenseArn: u.LicenseArn,
			Dimension: u.Dimension, Quantity: u.Quantity, Tags: u.Tags,
		})
	}
	switch req.Call.Method {
	case "record":
		_, err = client.Record(ctx, usages[0])
	case "record_batch":
		_, err = client.RecordBatch(ctx, usages)
	default:
		return result{Outcome: "CLIENT_ERROR", Message: "unknown method " + req.Call.Method}
	}
	ids := make([]string, 0, len(usages))
	for _, u := range usages {
		ids = append(ids, u.EventID)
	}
	if err != nil {
		return result{Outcome: codeName(status.Code(err)), EventIDs: ids, Message: err.Error()}
	}
	return result{Outcome: "OK", EventIDs: ids}
}

func main() {
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	out := json.NewEncoder(os.Stdout)
	for scanner.Scan() {
		var req request
		if err := json.Unmarshal(scanner.Bytes(), &req); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := out.Encode(run(req)); err != nil {
			os.Exit(2)
		}
	}
}

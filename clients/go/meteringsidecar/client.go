// Package meteringsidecar is the Go client for metering-sidecar.
//
// Every event gets a stable event id (a UUID made once per event, before the first attempt), so a
// retry never bills twice. Unavailable, ResourceExhausted, a Canceled the server sent (a sidecar
// shutting down) and an attempt's own deadline are retried with capped, jittered backoff reusing that
// id, within a retry budget. The caller's context is the overall deadline and the way to cancel: once
// it is done, nothing is retried. Every attempt has a deadline (Options.AttemptTimeout).
//
// The generated messages and stubs are in the sibling package meteringsidecarv1.
package meteringsidecar

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"os"
	"strings"
	"time"

	pb "github.com/metering-sidecar/metering-sidecar/clients/go/meteringsidecarv1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// DefaultTarget is where a sidecar listens unless told otherwise.
const DefaultTarget = "127.0.0.1:50051"

// Usage is one usage event. EventID is filled in once, by Record or RecordBatch, when empty.
type Usage struct {
	EventID              string
	CustomerAWSAccountID string
	CustomerIdentifier   string
	LicenseArn           string
	ProductCode          string
	Dimension            string
	Quantity             int64
	Timestamp            time.Time
	Tags                 map[string]string
}

// Options tune a Client. Zero values take the defaults.
type Options struct {
	AttemptTimeout time.Duration // deadline of each attempt (default 5s)
	RetryBudget    time.Duration // total time spent on one call, retries included (default 60s)
	Token          string        // bearer token, when the sidecar runs with --api-token-file
	TokenFile      string        // file holding the token (read once, by New)
	DialOptions    []grpc.DialOption
}

// Client talks to one sidecar. It is safe for concurrent use.
type Client struct {
	conn    *grpc.ClientConn
	stub    pb.MeteringSidecarClient
	options Options
	token   string
}

// New connects lazily to target: "host:port" or "unix:///path/to.sock".
func New(target string, options Options) (*Client, error) {
	if target == "" {
		target = DefaultTarget
	}
	if options.AttemptTimeout <= 0 {
		options.AttemptTimeout = 5 * time.Second
	}
	if options.RetryBudget <= 0 {
		options.RetryBudget = 60 * time.Second
	}
	token := options.Token
	if options.TokenFile != "" {
		raw, err := os.ReadFile(options.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("reading token file: %w", err)
		}
		token = strings.TrimSpace(string(raw))
	}
	dialOptions := append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())},
		options.DialOptions...)
	conn, err := grpc.NewClient(target, dialOptions...)
	if err != nil {
		return nil, err
	}
	return &Client{conn: conn, stub: pb.NewMeteringSidecarClient(conn), options: options, token: token}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Stub returns the generated stub on the client's connection, for the RPCs without a helper here.
func (c *Client) Stub() pb.MeteringSidecarClient { return c.stub }

// Retryable reports whether a failed attempt is worth another one with the same event ids, given
// the caller's context: never once the caller cancelled or its deadline passed.
func Retryable(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted:
		return true
	case codes.Canceled, codes.DeadlineExceeded:
		// The caller's context is live, so the server cancelled (shutdown, load shedding) or the
		// attempt's own deadline passed: both are safe to retry with the same event ids.
		return true
	}
	return false
}

// backoff is full jitter over a doubling ceiling: 50ms, 100ms, ... capped at 2s.
func backoff(attempt int) time.Duration {
	ceiling := 50 * time.Millisecond << min(attempt, 6)
	ceiling = min(ceiling, 2*time.Second)
	return time.Duration(mathrand.Int64N(int64(ceiling) + 1))
}

func (c *Client) call(ctx context.Context, attempt func(context.Context) error) error {
	if c.token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.token)
	}
	giveUp := time.Now().Add(c.options.RetryBudget)
	for n := 0; ; n++ {
		attemptCtx, cancel := context.WithTimeout(ctx, c.options.AttemptTimeout)
		err := attempt(attemptCtx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			// The caller's own cancellation or deadline: report it as such, never retry.
			return status.FromContextError(ctx.Err()).Err()
		}
		if !Retryable(ctx, err) {
			return err
		}
		wait := backoff(n)
		if time.Now().Add(wait).After(giveUp) {
			return err
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return status.FromContextError(ctx.Err()).Err()
		case <-timer.C:
		}
	}
}

// NewEventID returns a random UUID (version 4).
func NewEventID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// ErrNilUsage is returned for a nil *Usage.
var ErrNilUsage = errors.New("meteringsidecar: nil usage")

// Message gives the usage its event id (once) and returns the wire message.
func (u *Usage) Message() (*pb.UsageEvent, error) {
	if u == nil {
		return nil, ErrNilUsage
	}
	if u.EventID == "" {
		u.EventID = NewEventID()
	}
	event := &pb.UsageEvent{
		EventId: u.EventID, CustomerAwsAccountId: u.CustomerAWSAccountID, CustomerIdentifier: u.CustomerIdentifier,
		LicenseArn: u.LicenseArn, ProductCode: u.ProductCode, Dimension: u.Dimension, Quantity: u.Quantity,
		Tags: u.Tags,
	}
	if !u.Timestamp.IsZero() {
		event.Timestamp = timestamppb.New(u.Timestamp)
	}
	return event, nil
}

// Record makes one event durable in the sidecar, retrying with the same event id. ctx bounds the
// whole call, retries included.
func (c *Client) Record(ctx context.Context, usage *Usage) (*pb.RecordUsageResponse, error) {
	event, err := usage.Message()
	if err != nil {
		return nil, err
	}
	var answer *pb.RecordUsageResponse
	err = c.call(ctx, func(ctx context.Context) error {
		var callErr error
		answer, callErr = c.stub.RecordUsage(ctx, &pb.RecordUsageRequest{Event: event})
		return callErr
	})
	return answer, err
}

// RecordBatch makes up to 1000 events durable, all or nothing.
func (c *Client) RecordBatch(ctx context.Context, usages []*Usage) (*pb.RecordUsageBatchResponse, error) {
	events := make([]*pb.UsageEvent, 0, len(usages))
	for _, usage := range usages {
		event, err := usage.Message()
		if err != nil {
			return nil, err
		}
		events = append(events, event)
	}
	var answer *pb.RecordUsageBatchResponse
	err := c.call(ctx, func(ctx context.Context) error {
		var callErr error
		answer, callErr = c.stub.RecordUsageBatch(ctx, &pb.RecordUsageBatchRequest{Events: events})
		return callErr
	})
	return answer, err
}

// CheckEntitlement answers whether a customer is entitled (to a dimension).
func (c *Client) CheckEntitlement(ctx context.Context, request *pb.CheckEntitlementRequest) (*pb.CheckEntitlementResponse, error) {
	var answer *pb.CheckEntitlementResponse
	err := c.call(ctx, func(ctx context.Context) error {
		var callErr error
		answer, callErr = c.stub.CheckEntitlement(ctx, request)
		return callErr
	})
	return answer, err
}

// GetEntitlements returns every matching entitlement.
func (c *Client) GetEntitlements(ctx context.Context, request *pb.GetEntitlementsRequest) (*pb.GetEntitlementsResponse, error) {
	var answer *pb.GetEntitlementsResponse
	err := c.call(ctx, func(ctx context.Context) error {
		var callErr error
		answer, callErr = c.stub.GetEntitlements(ctx, request)
		return callErr
	})
	return answer, err
}

// Status returns the sidecar's counters.
func (c *Client) Status(ctx context.Context) (*pb.GetStatusResponse, error) {
	var answer *pb.GetStatusResponse
	err := c.call(ctx, func(ctx context.Context) error {
		var callErr error
		answer, callErr = c.stub.GetStatus(ctx, &pb.GetStatusRequest{})
		return callErr
	})
	return answer, err
}

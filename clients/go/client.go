// Package meteringsidecar is a thin Go client for metering-sidecar.
//
// Every event gets a stable event id (a UUID made once per event, before the first attempt), and
// Unavailable, DeadlineExceeded and ResourceExhausted are retried with backoff reusing that id,
// within a retry budget. Every call has a deadline. A retry never bills twice, and a sidecar restart
// never loses usage.
package meteringsidecar

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"time"

	"github.com/golang/protobuf/ptypes"
	pb "github.com/metering-sidecar/metering-sidecar/clients/go/meteringsidecarv1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Usage is one usage event. EventID is filled in once, by Record, when empty.
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

// Options tune a Client.
type Options struct {
	Timeout     time.Duration // deadline of each attempt (default 5s)
	RetryBudget time.Duration // total time spent retrying one call (default 60s)
	Token       string        // bearer token, when the sidecar runs with --api-token-file
	TokenFile   string        // file holding the token
}

// Client talks to one sidecar.
type Client struct {
	conn    *grpc.ClientConn
	stub    pb.MeteringSidecarClient
	options Options
	token   string
}

// Dial connects to target: host:port or unix:///path.
func Dial(target string, options Options) (*Client, error) {
	if options.Timeout == 0 {
		options.Timeout = 5 * time.Second
	}
	if options.RetryBudget == 0 {
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
	dialOptions := []grpc.DialOption{grpc.WithInsecure()}
	if strings.HasPrefix(target, "unix://") {
		path := strings.TrimPrefix(target, "unix://")
		dialOptions = append(dialOptions, grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		}))
		target = "passthrough:///unix"
	}
	conn, err := grpc.Dial(target, dialOptions...)
	if err != nil {
		return nil, err
	}
	return &Client{conn: conn, stub: pb.NewMeteringSidecarClient(conn), options: options, token: token}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Retryable reports whether an error is worth another attempt with the same event ids.
func Retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted:
		return true
	}
	return false
}

func (c *Client) call(ctx context.Context, attempt func(context.Context) error) error {
	giveUp := time.Now().Add(c.options.RetryBudget)
	if c.token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.token)
	}
	for n := 0; ; n++ {
		callCtx, cancel := context.WithTimeout(ctx, c.options.Timeout)
		err := attempt(callCtx)
		cancel()
		if err == nil || !Retryable(err) {
			return err
		}
		ceiling := 50 * time.Millisecond << uint(minInt(n, 6))
		if ceiling > 2*time.Second {
			ceiling = 2 * time.Second
		}
		jitter, _ := rand.Int(rand.Reader, big.NewInt(int64(ceiling)+1))
		wait := time.Duration(jitter.Int64())
		if time.Now().Add(wait).After(giveUp) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

func minInt(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// NewEventID returns a random UUID (version 4).
func NewEventID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func (u *Usage) message() (*pb.UsageEvent, error) {
	if u.EventID == "" {
		u.EventID = NewEventID()
	}
	event := &pb.UsageEvent{
		EventId: u.EventID, CustomerAwsAccountId: u.CustomerAWSAccountID, CustomerIdentifier: u.CustomerIdentifier,
		LicenseArn: u.LicenseArn, ProductCode: u.ProductCode, Dimension: u.Dimension, Quantity: u.Quantity, Tags: u.Tags,
	}
	if !u.Timestamp.IsZero() {
		stamp, err := ptypes.TimestampProto(u.Timestamp)
		if err != nil {
			return nil, err
		}
		event.Timestamp = stamp
	}
	return event, nil
}

// Record makes one event durable in the sidecar, retrying with the same event id.
func (c *Client) Record(ctx context.Context, usage *Usage) (*pb.RecordUsageResponse, error) {
	event, err := usage.message()
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
		event, err := usage.message()
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

package meteringsidecar

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestEventIDIsMadeOnceAndKept(t *testing.T) {
	usage := &Usage{Dimension: "requests", Quantity: 1}
	first, err := usage.Message()
	if err != nil {
		t.Fatal(err)
	}
	if !uuidPattern.MatchString(first.EventId) {
		t.Fatalf("not a v4 UUID: %q", first.EventId)
	}
	second, _ := usage.Message()
	if second.EventId != first.EventId || usage.EventID != first.EventId {
		t.Fatalf("event id changed between attempts: %q, %q", first.EventId, second.EventId)
	}
}

func TestEventIDsAreUniqueAcrossGoroutines(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				id := NewEventID()
				mu.Lock()
				if seen[id] {
					t.Errorf("duplicate id %s", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestRetryableCodes(t *testing.T) {
	live := context.Background()
	for code, want := range map[codes.Code]bool{
		codes.Unavailable: true, codes.ResourceExhausted: true, codes.Canceled: true, codes.DeadlineExceeded: true,
		codes.InvalidArgument: false, codes.AlreadyExists: false, codes.Unauthenticated: false, codes.Internal: false,
	} {
		if got := Retryable(live, status.Error(code, "x")); got != want {
			t.Errorf("%v: Retryable = %v, want %v", code, got, want)
		}
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if Retryable(done, status.Error(codes.Unavailable, "x")) {
		t.Error("a cancelled caller must never be retried")
	}
}

func TestBackoffIsCapped(t *testing.T) {
	for attempt := range 20 {
		if wait := backoff(attempt); wait < 0 || wait > 2*time.Second {
			t.Fatalf("attempt %d waits %v", attempt, wait)
		}
	}
}

func TestTokenFileIsTrimmed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	client, err := New("127.0.0.1:1", Options{TokenFile: path})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if client.token != "s3cret" {
		t.Fatalf("token %q", client.token)
	}
	if _, err := New("", Options{TokenFile: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Fatal("a missing token file must fail New")
	}
}

// A real loopback port with nothing behind it: UNAVAILABLE is retried until the caller's deadline,
// which is then reported as DEADLINE_EXCEEDED, not as the last attempt's error.
func TestCallerDeadlineEndsRetries(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := listener.Addr().String()
	listener.Close()
	client, err := New(target, Options{AttemptTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = client.Record(ctx, &Usage{CustomerAWSAccountID: "111122223333", Dimension: "d", Quantity: 1})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("took %v past a 400ms deadline", elapsed)
	}
}

// The retry budget bounds a call whose caller set no deadline.
func TestRetryBudgetEndsRetries(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := listener.Addr().String()
	listener.Close()
	client, err := New(target, Options{AttemptTimeout: 200 * time.Millisecond, RetryBudget: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	_, err = client.Record(context.Background(), &Usage{CustomerAWSAccountID: "111122223333", Dimension: "d", Quantity: 1})
	if code := status.Code(err); code != codes.Unavailable && code != codes.DeadlineExceeded {
		t.Fatalf("got %v", err)
	}
}

func TestNilUsage(t *testing.T) {
	var usage *Usage
	if _, err := usage.Message(); err != ErrNilUsage {
		t.Fatalf("got %v", err)
	}
}

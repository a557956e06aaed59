package dev.meteringsidecar.client;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.Test;

class RetryTest {
  @Test
  void transientCodesAreRetried() {
    assertTrue(Retry.isRetryable(Status.Code.UNAVAILABLE));
    assertTrue(Retry.isRetryable(Status.Code.RESOURCE_EXHAUSTED));
    assertTrue(Retry.isRetryable(Status.Code.CANCELLED));
    assertTrue(Retry.isRetryable(Status.Code.DEADLINE_EXCEEDED));
  }

  @Test
  void refusalsAreNotRetried() {
    assertFalse(Retry.isRetryable(Status.Code.INVALID_ARGUMENT));
    assertFalse(Retry.isRetryable(Status.Code.ALREADY_EXISTS));
    assertFalse(Retry.isRetryable(Status.Code.UNAUTHENTICATED));
    assertFalse(Retry.isRetryable(Status.Code.INTERNAL));
  }

  @Test
  void theConnectionClosingUnderAnAttemptIsRetried() {
    // What grpc-netty builds when a stream's headers meet a closed channel (Utils.statusFromThrowable),
    // as the client's failure callback sees it: wrapped in the call's exception, then unwrapped.
    ClosedChannelException closed = new ClosedChannelException();
    closed.initCause(new ClosedChannelException());
    Status status = Status.UNKNOWN.withDescription("channel closed").withCause(closed);
    Status seen = Status.fromThrowable(status.asRuntimeException());
    assertTrue(Retry.isConnectionClosed(seen));
    assertTrue(Retry.isRetryable(seen));
  }

  @Test
  void anUnknownTheServerSentIsNotRetried() {
    // From the wire a status has no cause: the server's own UNKNOWN (a failed handler) is final.
    Status fromServer = Status.UNKNOWN.withDescription("channel closed");
    assertFalse(Retry.isRetryable(fromServer));
    assertFalse(Retry.isRetryable(Status.UNKNOWN.withCause(new IllegalStateException("boom"))));
    assertFalse(Retry.isRetryable(Status.fromThrowable(new StatusRuntimeException(Status.INTERNAL))));
    assertTrue(Retry.isRetryable(Status.UNAVAILABLE.withDescription("io exception")));
  }

  @Test
  void backoffIsCapped() {
    for (int attempt = 0; attempt < 30; attempt++) {
      long wait = Retry.backoffNanos(attempt);
      assertTrue(wait >= 0 && wait <= 2_000_000_000L, "attempt " + attempt + " waits " + wait);
    }
  }
}

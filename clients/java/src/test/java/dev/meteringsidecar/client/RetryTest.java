package dev.meteringsidecar.client;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
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
  void backoffIsCapped() {
    for (int attempt = 0; attempt < 30; attempt++) {
      long wait = Retry.backoffNanos(attempt);
      assertTrue(wait >= 0 && wait <= 2_000_000_000L, "attempt " + attempt + " waits " + wait);
    }
  }
}

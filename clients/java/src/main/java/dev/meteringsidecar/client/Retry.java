package dev.meteringsidecar.client;

import io.grpc.Status;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/** Which failed attempts are retried (with the same event ids), and how long to wait between them. */
public final class Retry {
  /**
   * Retried while the caller has neither cancelled nor run out of its deadline. CANCELLED and
   * DEADLINE_EXCEEDED reach this check only when the server sent them (a sidecar shutting down,
   * or shedding load) or an attempt's own deadline passed: the caller's own cancellation and
   * deadline end the call before it.
   */
  public static final Set<Status.Code> RETRYABLE =
      EnumSet.of(
          Status.Code.UNAVAILABLE,
          Status.Code.RESOURCE_EXHAUSTED,
          Status.Code.CANCELLED,
          Status.Code.DEADLINE_EXCEEDED);

  private Retry() {}

  /** Whether an attempt that failed with this code is worth another, with the same event ids. */
  public static boolean isRetryable(Status.Code code) {
    return RETRYABLE.contains(code);
  }

  /** Full jitter over a doubling ceiling: 50 ms, 100 ms, ... capped at 2 s. */
  static long backoffNanos(int attempt) {
    long ceiling = Math.min(2_000_000_000L, 50_000_000L << Math.min(attempt, 6));
    return ThreadLocalRandom.current().nextLong(ceiling + 1);
  }
}

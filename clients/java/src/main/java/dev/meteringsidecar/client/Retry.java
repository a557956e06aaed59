package dev.meteringsidecar.client;

import io.grpc.Status;
import java.nio.channels.ClosedChannelException;
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

  /**
   * Whether an attempt that failed with this status is worth another, with the same event ids: a
   * code of {@link #RETRYABLE}, or the connection closing under the attempt ({@link
   * #isConnectionClosed}). Every call of the client may be sent again: the events of a record call
   * carry their ids (the sidecar counts an id once), and the other calls only read.
   */
  public static boolean isRetryable(Status status) {
    return isRetryable(status.getCode()) || isConnectionClosed(status);
  }

  /**
   * Whether grpc-java failed the attempt with UNKNOWN "channel closed" because the connection closed
   * under it (a sidecar killed or restarting). grpc-netty gives that status, not UNAVAILABLE, when
   * the channel is already closed as it writes a new stream's headers (grpc/grpc-java#10120). It is
   * told apart from an UNKNOWN the server sent by its cause, a {@link ClosedChannelException} raised
   * in this process: a status's cause never crosses the wire.
   */
  public static boolean isConnectionClosed(Status status) {
    if (status.getCode() != Status.Code.UNKNOWN) {
      return false;
    }
    for (Throwable cause = status.getCause(); cause != null; cause = cause.getCause()) {
      if (cause instanceof ClosedChannelException) {
        return true;
      }
    }
    return false;
  }

  /** Full jitter over a doubling ceiling: 50 ms, 100 ms, ... capped at 2 s. */
  static long backoffNanos(int attempt) {
    long ceiling = Math.min(2_000_000_000L, 50_000_000L << Math.min(attempt, 6));
    return ThreadLocalRandom.current().nextLong(ceiling + 1);
  }
}

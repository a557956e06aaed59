package dev.meteringsidecar.client;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import meteringsidecar.v1.MeteringSidecarGrpc;
import meteringsidecar.v1.MeteringSidecarGrpc.MeteringSidecarFutureStub;
import meteringsidecar.v1.Sidecar.CheckEntitlementRequest;
import meteringsidecar.v1.Sidecar.CheckEntitlementResponse;
import meteringsidecar.v1.Sidecar.GetEntitlementsRequest;
import meteringsidecar.v1.Sidecar.GetEntitlementsResponse;
import meteringsidecar.v1.Sidecar.GetStatusRequest;
import meteringsidecar.v1.Sidecar.GetStatusResponse;
import meteringsidecar.v1.Sidecar.RecordUsageBatchRequest;
import meteringsidecar.v1.Sidecar.RecordUsageBatchResponse;
import meteringsidecar.v1.Sidecar.RecordUsageRequest;
import meteringsidecar.v1.Sidecar.RecordUsageResponse;

/**
 * The metering-sidecar client: a blocking and a future-based API over one channel.
 *
 * <p>Every attempt has a deadline ({@link Builder#attemptTimeout}). UNAVAILABLE, RESOURCE_EXHAUSTED,
 * a CANCELLED the server sent, an attempt's own deadline and the connection closing under an attempt
 * (grpc-java's UNKNOWN "channel closed", see {@link Retry#isConnectionClosed}) are retried with
 * capped, jittered backoff, reusing the events' ids, within {@link Builder#retryBudget} and the
 * call's own deadline.
 * The caller's deadline and its cancellation (of the future, or an interrupt of the blocking call)
 * end the call and are never retried. Close the client (try-with-resources) to release the channel.
 *
 * <pre>{@code
 * try (MeteringClient client = MeteringClient.builder("127.0.0.1:50051").build()) {
 *   client.record(Usage.builder("requests", 3).customerAwsAccountId("111122223333").build());
 * }
 * }</pre>
 */
public final class MeteringClient implements AutoCloseable {
  /** Where a sidecar listens unless told otherwise. */
  public static final String DEFAULT_TARGET = "127.0.0.1:50051";

  private final ManagedChannel channel;
  private final MeteringSidecarFutureStub stub;
  private final ScheduledExecutorService scheduler;
  // Calls not finished yet: close() ends them, or one waiting to retry would never complete.
  private final java.util.Set<Call<?>> open = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final long attemptTimeoutNanos;
  private final long retryBudgetNanos;

  private MeteringClient(Builder b) {
    this.attemptTimeoutNanos = b.attemptTimeout.toNanos();
    this.retryBudgetNanos = b.retryBudget.toNanos();
    // "host:port" or "unix:///path": grpc-netty-shaded brings the epoll transport for Unix sockets.
    this.channel = Grpc.newChannelBuilder(b.target, InsecureChannelCredentials.create()).build();
    MeteringSidecarFutureStub future = MeteringSidecarGrpc.newFutureStub(channel);
    if (!b.token.isEmpty()) {
      Metadata headers = new Metadata();
      headers.put(
          Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + b.token);
      future = future.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    this.stub = future;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "metering-sidecar-retry");
              t.setDaemon(true);
              return t;
            });
  }

  /** A builder for a client of the sidecar at {@code target} ("host:port" or "unix:///path"). */
  public static Builder builder(String target) {
    return new Builder(target);
  }

  /** A builder for a client of the sidecar at {@link #DEFAULT_TARGET}. */
  public static Builder builder() {
    return new Builder(DEFAULT_TARGET);
  }

  // ---- future-based API ----

  /** Records one event; completes once it is durable in the sidecar. */
  public CompletableFuture<RecordUsageResponse> recordAsync(Usage usage) {
    return recordAsync(usage, null);
  }

  /** Records one event within {@code deadline} (retries included); null means the retry budget. */
  public CompletableFuture<RecordUsageResponse> recordAsync(Usage usage, Duration deadline) {
    RecordUsageRequest request = RecordUsageRequest.newBuilder().setEvent(usage.toProto()).build();
    return call(s -> s.recordUsage(request), deadline);
  }

  /** Records up to 1000 events, all or nothing. */
  public CompletableFuture<RecordUsageBatchResponse> recordBatchAsync(List<Usage> usages) {
    return recordBatchAsync(usages, null);
  }

  /** Records up to 1000 events, all or nothing, within {@code deadline}. */
  public CompletableFuture<RecordUsageBatchResponse> recordBatchAsync(
      List<Usage> usages, Duration deadline) {
    RecordUsageBatchRequest.Builder request = RecordUsageBatchRequest.newBuilder();
    usages.forEach(u -> request.addEvents(u.toProto()));
    RecordUsageBatchRequest built = request.build();
    return call(s -> s.recordUsageBatch(built), deadline);
  }

  /** Whether a customer is entitled (to a dimension). */
  public CompletableFuture<CheckEntitlementResponse> checkEntitlementAsync(
      CheckEntitlementRequest request) {
    return checkEntitlementAsync(request, null);
  }

  /** Whether a customer is entitled (to a dimension), within {@code deadline}. */
  public CompletableFuture<CheckEntitlementResponse> checkEntitlementAsync(
      CheckEntitlementRequest request, Duration deadline) {
    return call(s -> s.checkEntitlement(request), deadline);
  }

  /** Every matching entitlement. */
  public CompletableFuture<GetEntitlementsResponse> getEntitlementsAsync(
      GetEntitlementsRequest request) {
    return getEntitlementsAsync(request, null);
  }

  /** Every matching entitlement, within {@code deadline}. */
  public CompletableFuture<GetEntitlementsResponse> getEntitlementsAsync(
      GetEntitlementsRequest request, Duration deadline) {
    return call(s -> s.getEntitlements(request), deadline);
  }

  /** The sidecar's counters. */
  public CompletableFuture<GetStatusResponse> statusAsync() {
    return call(s -> s.getStatus(GetStatusRequest.getDefaultInstance()), null);
  }

  // ---- blocking API ----

  /** Records one event; returns once it is durable. Throws {@link StatusRuntimeException}. */
  public RecordUsageResponse record(Usage usage) {
    return await(recordAsync(usage, null));
  }

  /** Records one event within {@code deadline}, retries included. */
  public RecordUsageResponse record(Usage usage, Duration deadline) {
    return await(recordAsync(usage, deadline));
  }

  /** Records up to 1000 events, all or nothing. */
  public RecordUsageBatchResponse recordBatch(List<Usage> usages) {
    return await(recordBatchAsync(usages, null));
  }

  /** Records up to 1000 events, all or nothing, within {@code deadline}. */
  public RecordUsageBatchResponse recordBatch(List<Usage> usages, Duration deadline) {
    return await(recordBatchAsync(usages, deadline));
  }

  /** Whether a customer is entitled (to a dimension). */
  public CheckEntitlementResponse checkEntitlement(CheckEntitlementRequest request) {
    return await(checkEntitlementAsync(request, null));
  }

  /** Whether a customer is entitled (to a dimension), within {@code deadline}. */
  public CheckEntitlementResponse checkEntitlement(
      CheckEntitlementRequest request, Duration deadline) {
    return await(checkEntitlementAsync(request, deadline));
  }

  /** Every matching entitlement. */
  public GetEntitlementsResponse getEntitlements(GetEntitlementsRequest request) {
    return await(getEntitlementsAsync(request, null));
  }

  /** Every matching entitlement, within {@code deadline}. */
  public GetEntitlementsResponse getEntitlements(
      GetEntitlementsRequest request, Duration deadline) {
    return await(getEntitlementsAsync(request, deadline));
  }

  /** The sidecar's counters. */
  public GetStatusResponse status() {
    return await(statusAsync());
  }

  /** Closes the channel; calls still running fail with CANCELLED or UNAVAILABLE. */
  @Override
  public void close() {
    scheduler.shutdownNow();
    for (Call<?> call : open) {
      call.completeExceptionally(Status.CANCELLED.withDescription("client closed").asRuntimeException());
    }
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private static <T> T await(CompletableFuture<T> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      future.cancel(true); // the caller's cancellation: the attempt in flight is cancelled too
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").withCause(e).asRuntimeException();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof StatusRuntimeException) {
        throw (StatusRuntimeException) cause;
      }
      throw Status.fromThrowable(cause).asRuntimeException();
    } catch (CancellationException e) {
      throw Status.CANCELLED.withDescription("cancelled").withCause(e).asRuntimeException();
    }
  }

  private <T> CompletableFuture<T> call(
      Function<MeteringSidecarFutureStub, ListenableFuture<T>> method, Duration deadline) {
    long start = System.nanoTime();
    long giveUp = start + retryBudgetNanos;
    long callerDeadline = deadline == null ? Long.MAX_VALUE : start + deadline.toNanos();
    Call<T> call = new Call<>(method, giveUp, callerDeadline);
    open.add(call);
    call.whenComplete((result, error) -> open.remove(call));
    call.attempt(0);
    return call;
  }

  /** One call: its attempts, and cancellation of the one in flight when the caller cancels. */
  private final class Call<T> extends CompletableFuture<T> {
    private final Function<MeteringSidecarFutureStub, ListenableFuture<T>> method;
    private final long giveUp;
    private final long callerDeadline;
    private volatile Future<?> inFlight;

    Call(
        Function<MeteringSidecarFutureStub, ListenableFuture<T>> method,
        long giveUp,
        long callerDeadline) {
      this.method = method;
      this.giveUp = giveUp;
      this.callerDeadline = callerDeadline;
    }

    void attempt(int n) {
      if (isDone()) {
        return;
      }
      long remaining = callerDeadline == Long.MAX_VALUE ? Long.MAX_VALUE : callerDeadline - System.nanoTime();
      if (remaining <= 0) {
        completeExceptionally(
            Status.DEADLINE_EXCEEDED.withDescription("the call's deadline passed").asRuntimeException());
        return;
      }
      // When the caller's deadline is sooner than the attempt timeout, this attempt's deadline IS the
      // caller's: its DEADLINE_EXCEEDED ends the call, even if it fires a hair before our clock says so.
      boolean boundByCaller = remaining <= attemptTimeoutNanos;
      ListenableFuture<T> future;
      try {
        future =
            method.apply(stub.withDeadlineAfter(Math.min(attemptTimeoutNanos, remaining), TimeUnit.NANOSECONDS));
      } catch (RuntimeException e) {
        completeExceptionally(e);
        return;
      }
      inFlight = future;
      if (isCancelled()) {
        future.cancel(true);
        return;
      }
      Futures.addCallback(
          future,
          new FutureCallback<T>() {
            @Override
            public void onSuccess(T result) {
              complete(result);
            }

            @Override
            public void onFailure(Throwable error) {
              failed(n, error, boundByCaller);
            }
          },
          MoreExecutors.directExecutor());
    }

    private void failed(int n, Throwable error, boolean boundByCaller) {
      if (isDone()) {
        return; // the caller cancelled: never retried
      }
      long now = System.nanoTime();
      Status status = Status.fromThrowable(error);
      boolean callerTimedOut = boundByCaller && status.getCode() == Status.Code.DEADLINE_EXCEEDED;
      if (callerTimedOut || now - callerDeadline >= 0) {
        completeExceptionally(
            Status.DEADLINE_EXCEEDED.withDescription("the call's deadline passed").withCause(error).asRuntimeException());
        return;
      }
      long wait = Retry.backoffNanos(n);
      if (!Retry.isRetryable(status) || now + wait - giveUp > 0) {
        completeExceptionally(status.asRuntimeException());
        return;
      }
      if (callerDeadline != Long.MAX_VALUE) {
        wait = Math.min(wait, callerDeadline - now);
      }
      try {
        inFlight = scheduler.schedule(() -> attempt(n + 1), wait, TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        completeExceptionally(Status.CANCELLED.withDescription("client closed").asRuntimeException());
      }
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      Future<?> current = inFlight;
      if (current != null) {
        current.cancel(true); // cancels the RPC in flight, or the retry not yet started
      }
      return cancelled;
    }
  }

  /** Options of a {@link MeteringClient}. */
  public static final class Builder {
    private final String target;
    private Duration attemptTimeout = Duration.ofSeconds(5);
    private Duration retryBudget = Duration.ofSeconds(60);
    private String token = "";

    private Builder(String target) {
      this.target = Objects.requireNonNull(target, "target");
    }

    /** The deadline of each attempt (default 5 s). */
    public Builder attemptTimeout(Duration timeout) {
      this.attemptTimeout = positive(timeout, "attemptTimeout");
      return this;
    }

    /** The most time one call spends, retries included, when it has no deadline (default 60 s). */
    public Builder retryBudget(Duration budget) {
      this.retryBudget = positive(budget, "retryBudget");
      return this;
    }

    /** The bearer token, when the sidecar runs with --api-token-file. */
    public Builder token(String token) {
      this.token = Objects.requireNonNull(token, "token").trim();
      return this;
    }

    /** Reads the bearer token from a file. */
    public Builder tokenFile(Path path) {
      try {
        return token(Files.readString(path, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException("reading token file " + path, e);
      }
    }

    public MeteringClient build() {
      return new MeteringClient(this);
    }

    private static Duration positive(Duration d, String name) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive");
      }
      return d;
    }
  }
}

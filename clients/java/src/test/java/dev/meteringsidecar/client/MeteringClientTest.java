package dev.meteringsidecar.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import meteringsidecar.v1.Sidecar.RecordUsageResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Behaviour that needs no sidecar: a real loopback port (or Unix socket path) with nothing behind it
 * answers UNAVAILABLE, which is retried until the call's deadline or budget. The behaviour against a
 * real sidecar is covered by the conformance suite (clients/conformance, run by tests/test_clients.py).
 */
class MeteringClientTest {
  private static String closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return "127.0.0.1:" + socket.getLocalPort();
    }
  }

  private static Usage usage() {
    return Usage.builder("requests", 1).customerAwsAccountId("111122223333").build();
  }

  @Test
  void callDeadlineEndsRetriesAsDeadlineExceeded() throws IOException {
    try (MeteringClient client =
        MeteringClient.builder(closedPort()).attemptTimeout(Duration.ofSeconds(1)).build()) {
      long start = System.nanoTime();
      StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class, () -> client.record(usage(), Duration.ofMillis(400)));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2));
    }
  }

  @Test
  void retryBudgetEndsRetriesWithTheLastError() throws IOException {
    try (MeteringClient client =
        MeteringClient.builder(closedPort())
            .attemptTimeout(Duration.ofMillis(200))
            .retryBudget(Duration.ofMillis(500))
            .build()) {
      StatusRuntimeException e =
          assertThrows(StatusRuntimeException.class, () -> client.record(usage()));
      assertTrue(
          e.getStatus().getCode() == Status.Code.UNAVAILABLE
              || e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED,
          e.toString());
    }
  }

  @Test
  void cancellingTheFutureStopsRetrying() throws Exception {
    try (MeteringClient client = MeteringClient.builder(closedPort()).build()) {
      CompletableFuture<RecordUsageResponse> future = client.recordAsync(usage());
      Thread.sleep(200);
      assertTrue(future.cancel(true));
      assertThrows(CancellationException.class, future::join);
    }
  }

  @Test
  void closingTheClientEndsACallWaitingToRetry() throws Exception {
    MeteringClient client =
        MeteringClient.builder(closedPort()).retryBudget(Duration.ofSeconds(60)).build();
    CompletableFuture<RecordUsageResponse> future = client.recordAsync(usage());
    Thread.sleep(200); // the first attempt failed: the call waits to retry
    client.close();
    java.util.concurrent.ExecutionException e =
        assertThrows(java.util.concurrent.ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
    assertEquals(Status.Code.CANCELLED, Status.fromThrowable(e.getCause()).getCode());
  }

  @Test
  void unixSocketTargetsAreSupported(@TempDir Path dir) {
    try (MeteringClient client =
        MeteringClient.builder("unix://" + dir.resolve("missing.sock")).build()) {
      StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class, () -> client.record(usage(), Duration.ofMillis(300)));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
    }
  }

  @Test
  void tokenFileIsRead(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("token");
    Files.writeString(file, "s3cret\n");
    MeteringClient.builder().tokenFile(file).build().close();
    assertThrows(
        java.io.UncheckedIOException.class,
        () -> MeteringClient.builder().tokenFile(dir.resolve("missing")));
  }

  @Test
  void optionsMustBePositive() {
    assertThrows(
        IllegalArgumentException.class,
        () -> MeteringClient.builder().attemptTimeout(Duration.ZERO));
  }
}

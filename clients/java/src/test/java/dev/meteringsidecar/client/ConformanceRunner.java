package dev.meteringsidecar.client;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.grpc.Status;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs the language-neutral cases in clients/conformance against a real sidecar. tests/test_clients.py
 * starts it once and writes one request per line on stdin; it answers each with one JSON line.
 */
public final class ConformanceRunner {
  private static final Gson GSON = new Gson();

  private ConformanceRunner() {}

  public static void main(String[] args) throws Exception {
    ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      JsonObject result = run(GSON.fromJson(line, JsonObject.class), timers);
      System.out.println(GSON.toJson(result));
      System.out.flush();
    }
    timers.shutdownNow();
  }

  private static long number(JsonObject o, String key) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? 0 : e.getAsLong();
  }

  private static String text(JsonObject o, String key) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? "" : e.getAsString();
  }

  static JsonObject run(JsonObject request, ScheduledExecutorService timers) {
    JsonObject options = request.getAsJsonObject("client");
    JsonObject call = request.getAsJsonObject("call");
    MeteringClient.Builder builder = MeteringClient.builder(request.get("target").getAsString());
    if (number(options, "attempt_timeout_ms") > 0) {
      builder.attemptTimeout(Duration.ofMillis(number(options, "attempt_timeout_ms")));
    }
    if (number(options, "retry_budget_ms") > 0) {
      builder.retryBudget(Duration.ofMillis(number(options, "retry_budget_ms")));
    }
    builder.token(text(options, "token"));
    List<Usage> usages = new ArrayList<>();
    for (JsonElement element : call.getAsJsonArray("usages")) {
      JsonObject u = element.getAsJsonObject();
      Usage.Builder usage =
          Usage.builder(text(u, "dimension"), number(u, "quantity"))
              .eventId(text(u, "event_id"))
              .customerAwsAccountId(text(u, "customer_aws_account_id"))
              .licenseArn(text(u, "license_arn"));
      if (u.has("tags")) {
        for (Map.Entry<String, JsonElement> tag : u.getAsJsonObject("tags").entrySet()) {
          usage.tag(tag.getKey(), tag.getValue().getAsString());
        }
      }
      usages.add(usage.build());
    }
    Duration deadline =
        number(call, "deadline_ms") > 0 ? Duration.ofMillis(number(call, "deadline_ms")) : null;
    JsonObject result = new JsonObject();
    JsonArray ids = new JsonArray();
    usages.forEach(u -> ids.add(u.eventId()));
    result.add("event_ids", ids);
    try (MeteringClient client = builder.build()) {
      CompletableFuture<?> future =
          switch (text(call, "method")) {
            case "record" -> client.recordAsync(usages.get(0), deadline);
            case "record_batch" -> client.recordBatchAsync(usages, deadline);
            default -> throw new IllegalArgumentException(text(call, "method"));
          };
      if (number(call, "cancel_after_ms") > 0) {
        timers.schedule(() -> future.cancel(true), number(call, "cancel_after_ms"), TimeUnit.MILLISECONDS);
      }
      try {
        future.get();
        result.addProperty("outcome", "OK");
      } catch (CancellationException e) {
        result.addProperty("outcome", "CANCELLED");
      } catch (ExecutionException e) {
        Status status = Status.fromThrowable(e.getCause());
        result.addProperty("outcome", status.getCode().name());
        result.addProperty("message", String.valueOf(status.getDescription()));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      result.addProperty("outcome", "CLIENT_ERROR");
    }
    return result;
  }
}

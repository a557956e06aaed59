package dev.meteringsidecar.client;

import com.google.gson.Gson;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Driven by tests/test_clients.py: sends COUNT events through the client while the test kills and
 * restarts the sidecar, then prints what was acknowledged, per dimension, as one JSON line.
 */
public final class EndToEndDriver {
  private EndToEndDriver() {}

  public static void main(String[] args) throws Exception {
    int count = Integer.parseInt(System.getenv("COUNT"));
    String prefix = System.getenv("PREFIX");
    Map<String, Long> acked = new TreeMap<>();
    try (MeteringClient client =
        MeteringClient.builder(System.getenv("TARGET")).attemptTimeout(Duration.ofSeconds(2)).build()) {
      for (int i = 0; i < count; i++) {
        String dimension = i % 2 == 1 ? "requests" : "storage";
        Usage usage =
            Usage.builder(dimension, 1 + i % 7)
                .eventId(prefix + "-" + i)
                .customerAwsAccountId("565656565656")
                .tag("team", "java")
                .build();
        if (i % 3 == 0) {
          client.recordAsync(usage).get(); // the future-based API
        } else if (i % 10 == 1) {
          client.recordBatch(List.of(usage));
        } else {
          client.record(usage);
        }
        acked.merge(dimension, usage.quantity(), Long::sum);
        if (i == count / 4) {
          System.err.println("QUARTER");
          System.err.flush();
        }
        Thread.sleep(5);
      }
    }
    System.out.println(new Gson().toJson(Map.of("acked", acked)));
  }
}

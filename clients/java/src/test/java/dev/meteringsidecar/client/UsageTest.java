package dev.meteringsidecar.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import meteringsidecar.v1.Sidecar.UsageEvent;
import org.junit.jupiter.api.Test;

class UsageTest {
  @Test
  void eventIdIsMadeOnceAndKept() {
    Usage usage = Usage.builder("requests", 3).customerAwsAccountId("111122223333").build();
    assertTrue(
        usage.eventId().matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
        usage.eventId());
    assertEquals(usage.eventId(), usage.toProto().getEventId());
    assertEquals(usage.toProto().getEventId(), usage.toProto().getEventId());
    assertNotEquals(usage.eventId(), Usage.builder("requests", 3).build().eventId());
  }

  @Test
  void givenFieldsReachTheMessage() {
    Instant when = Instant.parse("2026-11-27T10:00:00.250Z");
    UsageEvent event =
        Usage.builder("gb", 12)
            .eventId("order-42")
            .customerAwsAccountId("111122223333")
            .licenseArn("arn:aws:license-manager::123456789012:license:l-1")
            .timestamp(when)
            .tag("team", "search")
            .build()
            .toProto();
    assertEquals("order-42", event.getEventId());
    assertEquals("arn:aws:license-manager::123456789012:license:l-1", event.getLicenseArn());
    assertEquals(12, event.getQuantity());
    assertEquals("search", event.getTagsMap().get("team"));
    assertEquals(when.getEpochSecond(), event.getTimestamp().getSeconds());
    assertEquals(250_000_000, event.getTimestamp().getNanos());
  }

  @Test
  void dimensionIsRequired() {
    assertThrows(NullPointerException.class, () -> Usage.builder(null, 1).build());
  }
}

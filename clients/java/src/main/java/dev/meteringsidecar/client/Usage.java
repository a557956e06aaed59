package dev.meteringsidecar.client;

import com.google.protobuf.Timestamp;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import meteringsidecar.v1.Sidecar.UsageEvent;

/**
 * One usage event. Its event id is made once, when the Usage is built (a random UUID unless given),
 * so every retry of every call that carries it sends the same id and the sidecar counts it once.
 */
public final class Usage {
  private final String eventId;
  private final String customerAwsAccountId;
  private final String customerIdentifier;
  private final String licenseArn;
  private final String productCode;
  private final String dimension;
  private final long quantity;
  private final Instant timestamp;
  private final Map<String, String> tags;

  private Usage(Builder b) {
    this.eventId = b.eventId == null || b.eventId.isEmpty() ? UUID.randomUUID().toString() : b.eventId;
    this.customerAwsAccountId = b.customerAwsAccountId;
    this.customerIdentifier = b.customerIdentifier;
    this.licenseArn = b.licenseArn;
    this.productCode = b.productCode;
    this.dimension = Objects.requireNonNull(b.dimension, "dimension");
    this.quantity = b.quantity;
    this.timestamp = b.timestamp;
    this.tags = Collections.unmodifiableMap(new LinkedHashMap<>(b.tags));
  }

  /** Starts a Usage for one dimension and quantity. */
  public static Builder builder(String dimension, long quantity) {
    return new Builder().dimension(dimension).quantity(quantity);
  }

  public String eventId() {
    return eventId;
  }

  public String customerAwsAccountId() {
    return customerAwsAccountId;
  }

  public String licenseArn() {
    return licenseArn;
  }

  public String dimension() {
    return dimension;
  }

  public long quantity() {
    return quantity;
  }

  public Map<String, String> tags() {
    return tags;
  }

  /** The wire message. */
  public UsageEvent toProto() {
    UsageEvent.Builder event =
        UsageEvent.newBuilder()
            .setEventId(eventId)
            .setCustomerAwsAccountId(customerAwsAccountId)
            .setCustomerIdentifier(customerIdentifier)
            .setLicenseArn(licenseArn)
            .setProductCode(productCode)
            .setDimension(dimension)
            .setQuantity(quantity)
            .putAllTags(tags);
    if (timestamp != null) {
      event.setTimestamp(
          Timestamp.newBuilder()
              .setSeconds(timestamp.getEpochSecond())
              .setNanos(timestamp.getNano()));
    }
    return event.build();
  }

  @Override
  public String toString() {
    return "Usage{" + eventId + " " + dimension + "=" + quantity + "}";
  }

  /** Builds a {@link Usage}; the event id is fixed by {@link #build()}. */
  public static final class Builder {
    private String eventId;
    private String customerAwsAccountId = "";
    private String customerIdentifier = "";
    private String licenseArn = "";
    private String productCode = "";
    private String dimension;
    private long quantity;
    private Instant timestamp;
    private final Map<String, String> tags = new LinkedHashMap<>();

    private Builder() {}

    /** An id of your own (at most 128 characters); by default a random UUID is made once. */
    public Builder eventId(String eventId) {
      this.eventId = eventId;
      return this;
    }

    public Builder customerAwsAccountId(String id) {
      this.customerAwsAccountId = Objects.requireNonNull(id);
      return this;
    }

    public Builder customerIdentifier(String id) {
      this.customerIdentifier = Objects.requireNonNull(id);
      return this;
    }

    public Builder licenseArn(String arn) {
      this.licenseArn = Objects.requireNonNull(arn);
      return this;
    }

    public Builder productCode(String code) {
      this.productCode = Objects.requireNonNull(code);
      return this;
    }

    public Builder dimension(String dimension) {
      this.dimension = Objects.requireNonNull(dimension);
      return this;
    }

    public Builder quantity(long quantity) {
      this.quantity = quantity;
      return this;
    }

    /** When the usage happened; unset means when the sidecar receives it. */
    public Builder timestamp(Instant timestamp) {
      this.timestamp = timestamp;
      return this;
    }

    /** An AWS usage allocation tag (at most 5). */
    public Builder tag(String key, String value) {
      tags.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
      return this;
    }

    public Builder tags(Map<String, String> tags) {
      tags.forEach(this::tag);
      return this;
    }

    public Usage build() {
      return new Usage(this);
    }
  }
}

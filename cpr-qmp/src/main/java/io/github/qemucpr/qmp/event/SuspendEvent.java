package io.github.qemucpr.qmp.event;

import java.time.Instant;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * {@code SUSPEND}: the guest entered S3 (suspend to RAM); runstate {@code suspended}.
 *
 * @param timestamp when QEMU emitted it
 * @param data the event's {@code data} as QEMU sent it, with any members this record does not hold
 *     (an empty object when built by a caller)
 */
public record SuspendEvent(Instant timestamp, JsonNode data) implements QmpEvent {
  /** Checks that the data is an object. */
  public SuspendEvent {
    Objects.requireNonNull(data, "data");
    if (!data.isObject()) {
      throw new IllegalArgumentException("the data of an event is an object, not " + data);
    }
  }

  /**
   * The event without other data, as a caller builds it.
   *
   * @param timestamp when QEMU emitted it
   */
  public SuspendEvent(Instant timestamp) {
    this(timestamp, JsonNodeFactory.instance.objectNode());
  }

  /** The wire name, {@code SUSPEND}. */
  public static final String NAME = "SUSPEND";

  @Override
  public String name() {
    return NAME;
  }
}

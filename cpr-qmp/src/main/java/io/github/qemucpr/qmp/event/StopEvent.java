package io.github.qemucpr.qmp.event;

import java.time.Instant;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * {@code STOP}: the VM stopped (paused, or before a migration's final phase).
 *
 * @param timestamp when QEMU emitted it
 * @param data the event's {@code data} as QEMU sent it, with any members this record does not hold
 *     (an empty object when built by a caller)
 */
public record StopEvent(Instant timestamp, JsonNode data) implements QmpEvent {
  /** Checks that the data is an object. */
  public StopEvent {
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
  public StopEvent(Instant timestamp) {
    this(timestamp, JsonNodeFactory.instance.objectNode());
  }

  /** The wire name, {@code STOP}. */
  public static final String NAME = "STOP";

  @Override
  public String name() {
    return NAME;
  }
}

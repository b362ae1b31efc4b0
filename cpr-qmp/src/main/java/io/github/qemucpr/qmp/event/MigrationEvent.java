package io.github.qemucpr.qmp.event;

import io.github.qemucpr.qmp.command.MigrationStatus;
import java.time.Instant;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * {@code MIGRATION}: the migration changed status. Sent only while the {@code events} migration
 * capability is on.
 *
 * @param timestamp when QEMU emitted it
 * @param status the new status
 * @param data the event's {@code data} as QEMU sent it, with any members this record does not hold
 *     (an empty object when built by a caller)
 */
public record MigrationEvent(Instant timestamp, MigrationStatus status, JsonNode data)
    implements QmpEvent {
  /** Checks that the data is an object. */
  public MigrationEvent {
    Objects.requireNonNull(data, "data");
    if (!data.isObject()) {
      throw new IllegalArgumentException("the data of an event is an object, not " + data);
    }
  }

  /**
   * The event without other data, as a caller builds it.
   *
   * @param timestamp when QEMU emitted it
   * @param status the new status
   */
  public MigrationEvent(Instant timestamp, MigrationStatus status) {
    this(timestamp, status, JsonNodeFactory.instance.objectNode());
  }

  /** The wire name, {@code MIGRATION}. */
  public static final String NAME = "MIGRATION";

  @Override
  public String name() {
    return NAME;
  }
}

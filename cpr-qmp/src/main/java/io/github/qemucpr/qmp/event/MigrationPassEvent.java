package io.github.qemucpr.qmp.event;

import java.time.Instant;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * {@code MIGRATION_PASS}: a RAM pass of a migration started.
 *
 * @param timestamp when QEMU emitted it
 * @param pass the pass number, from 1
 * @param data the event's {@code data} as QEMU sent it, with any members this record does not hold
 *     (an empty object when built by a caller)
 */
public record MigrationPassEvent(Instant timestamp, long pass, JsonNode data) implements QmpEvent {
  /** Checks that the data is an object. */
  public MigrationPassEvent {
    Objects.requireNonNull(data, "data");
    if (!data.isObject()) {
      throw new IllegalArgumentException("the data of an event is an object, not " + data);
    }
  }

  /**
   * The event without other data, as a caller builds it.
   *
   * @param timestamp when QEMU emitted it
   * @param pass the pass number, from 1
   */
  public MigrationPassEvent(Instant timestamp, long pass) {
    this(timestamp, pass, JsonNodeFactory.instance.objectNode());
  }

  /** The wire name, {@code MIGRATION_PASS}. */
  public static final String NAME = "MIGRATION_PASS";

  @Override
  public String name() {
    return NAME;
  }
}

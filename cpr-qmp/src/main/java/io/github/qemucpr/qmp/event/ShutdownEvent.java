package io.github.qemucpr.qmp.event;

import java.time.Instant;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * {@code SHUTDOWN}: the guest shut down, or QEMU was asked to quit.
 *
 * @param timestamp when QEMU emitted it
 * @param guest whether the guest itself initiated it
 * @param reason QEMU's reason, such as {@code host-qmp-quit} or {@code guest-shutdown}
 * @param data the event's {@code data} as QEMU sent it, with any members this record does not hold
 *     (an empty object when built by a caller)
 */
public record ShutdownEvent(Instant timestamp, boolean guest, String reason, JsonNode data)
    implements QmpEvent {
  /** Checks that the data is an object. */
  public ShutdownEvent {
    Objects.requireNonNull(data, "data");
    if (!data.isObject()) {
      throw new IllegalArgumentException("the data of an event is an object, not " + data);
    }
  }

  /**
   * The event without other data, as a caller builds it.
   *
   * @param timestamp when QEMU emitted it
   * @param guest whether the guest itself initiated it
   * @param reason QEMU's reason, such as {@code host-qmp-quit} or {@code guest-shutdown}
   */
  public ShutdownEvent(Instant timestamp, boolean guest, String reason) {
    this(timestamp, guest, reason, JsonNodeFactory.instance.objectNode());
  }

  /** The wire name, {@code SHUTDOWN}. */
  public static final String NAME = "SHUTDOWN";

  @Override
  public String name() {
    return NAME;
  }
}

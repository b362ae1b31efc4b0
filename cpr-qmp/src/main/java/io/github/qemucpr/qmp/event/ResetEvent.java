package io.github.qemucpr.qmp.event;

import java.time.Instant;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * {@code RESET}: the VM was reset.
 *
 * @param timestamp when QEMU emitted it
 * @param guest whether the guest itself initiated it
 * @param reason QEMU's reason, such as {@code host-qmp-system-reset} or {@code guest-reset}
 * @param data the event's {@code data} as QEMU sent it, with any members this record does not hold
 *     (an empty object when built by a caller)
 */
public record ResetEvent(Instant timestamp, boolean guest, String reason, JsonNode data)
    implements QmpEvent {
  /** Checks that the data is an object. */
  public ResetEvent {
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
   * @param reason QEMU's reason, such as {@code host-qmp-system-reset} or {@code guest-reset}
   */
  public ResetEvent(Instant timestamp, boolean guest, String reason) {
    this(timestamp, guest, reason, JsonNodeFactory.instance.objectNode());
  }

  /** The wire name, {@code RESET}. */
  public static final String NAME = "RESET";

  @Override
  public String name() {
    return NAME;
  }
}

package io.github.qemucpr.qmp.event;

import java.time.Instant;

/**
 * {@code SUSPEND}: the guest entered S3 (suspend to RAM); runstate {@code suspended}.
 *
 * @param timestamp when QEMU emitted it
 */
public record SuspendEvent(Instant timestamp) implements QmpEvent {
  /** The wire name, {@code SUSPEND}. */
  public static final String NAME = "SUSPEND";

  @Override
  public String name() {
    return NAME;
  }
}

package io.github.qemucpr.qmp.event;

import java.time.Instant;

/**
 * {@code WAKEUP}: the guest left S3.
 *
 * @param timestamp when QEMU emitted it
 */
public record WakeupEvent(Instant timestamp) implements QmpEvent {
  /** The wire name, {@code WAKEUP}. */
  public static final String NAME = "WAKEUP";

  @Override
  public String name() {
    return NAME;
  }
}

package io.github.qemucpr.qmp.event;

import java.time.Instant;

/**
 * {@code STOP}: the VM stopped (paused, or before a migration's final phase).
 *
 * @param timestamp when QEMU emitted it
 */
public record StopEvent(Instant timestamp) implements QmpEvent {
  /** The wire name, {@code STOP}. */
  public static final String NAME = "STOP";

  @Override
  public String name() {
    return NAME;
  }
}

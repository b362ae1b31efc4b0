package io.github.qemucpr.qmp.event;

import java.time.Instant;

/**
 * {@code RESUME}: the VM runs again.
 *
 * @param timestamp when QEMU emitted it
 */
public record ResumeEvent(Instant timestamp) implements QmpEvent {
  /** The wire name, {@code RESUME}. */
  public static final String NAME = "RESUME";

  @Override
  public String name() {
    return NAME;
  }
}

package io.github.qemucpr.qmp.event;

import java.time.Instant;

/**
 * {@code POWERDOWN}: an ACPI power button press was sent to the guest.
 *
 * @param timestamp when QEMU emitted it
 */
public record PowerdownEvent(Instant timestamp) implements QmpEvent {
  /** The wire name, {@code POWERDOWN}. */
  public static final String NAME = "POWERDOWN";

  @Override
  public String name() {
    return NAME;
  }
}

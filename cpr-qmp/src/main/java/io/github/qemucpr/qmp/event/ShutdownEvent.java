package io.github.qemucpr.qmp.event;

import java.time.Instant;

/**
 * {@code SHUTDOWN}: the guest shut down, or QEMU was asked to quit.
 *
 * @param timestamp when QEMU emitted it
 * @param guest whether the guest itself initiated it
 * @param reason QEMU's reason, such as {@code host-qmp-quit} or {@code guest-shutdown}
 */
public record ShutdownEvent(Instant timestamp, boolean guest, String reason) implements QmpEvent {
  /** The wire name, {@code SHUTDOWN}. */
  public static final String NAME = "SHUTDOWN";

  @Override
  public String name() {
    return NAME;
  }
}

package io.github.qemucpr.qmp.event;

import java.time.Instant;

/**
 * {@code RESET}: the VM was reset.
 *
 * @param timestamp when QEMU emitted it
 * @param guest whether the guest itself initiated it
 * @param reason QEMU's reason, such as {@code host-qmp-system-reset} or {@code guest-reset}
 */
public record ResetEvent(Instant timestamp, boolean guest, String reason) implements QmpEvent {
  /** The wire name, {@code RESET}. */
  public static final String NAME = "RESET";

  @Override
  public String name() {
    return NAME;
  }
}

package io.github.qemucpr.api;

/**
 * Whether a save suspends the guest to RAM ({@code guest-suspend-ram} through the guest agent)
 * before it saves. QEMU saves VFIO devices in cpr-reboot mode only from a suspended guest.
 */
public enum SuspendPolicy {
  /** Suspend when VFIO devices are present; the default. */
  AUTO,
  /** Always suspend, VFIO or not: the guest sees an orderly S3 sleep rather than a pause. */
  ALWAYS,
  /** Never suspend; a VM with VFIO devices is then refused unless it is already suspended. */
  NEVER
}

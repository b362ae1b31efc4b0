package io.github.qemucpr.qga.command;

/** How {@link GuestShutdown} ends the guest. */
public enum ShutdownMode {
  /** Power off (the agent's default). */
  POWERDOWN("powerdown"),
  /** Halt without powering off. */
  HALT("halt"),
  /** Reboot. */
  REBOOT("reboot");

  private final String wireName;

  ShutdownMode(String wireName) {
    this.wireName = wireName;
  }

  /** The mode as the agent spells it, such as {@code powerdown}. */
  public String wireName() {
    return wireName;
  }
}

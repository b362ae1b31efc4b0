package io.github.qemucpr.qga;

/**
 * The agent cannot run the command at all: it does not know it ({@code CommandNotFound}, an agent
 * older than the command), or it has disabled it, either by the guest administrator ({@code qemu-ga
 * --block-rpcs}) or for the moment (most commands while the file systems are frozen). Check {@link
 * GuestAgentClient#info()} for what the agent supports.
 */
public final class GuestAgentCommandUnavailableException extends GuestAgentCommandException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception from the parts of the agent's error reply. */
  public GuestAgentCommandUnavailableException(
      String command, String errorClass, String description) {
    super(command, errorClass, description);
  }

  /** Whether the agent knows the command but has disabled it (rather than not knowing it). */
  public boolean disabled() {
    return description().contains("has been disabled");
  }
}

package io.github.qemucpr.qga;

/**
 * The calling thread was interrupted while it waited. The interrupt flag is set again before this
 * is thrown. A command that was already sent may still take effect; the client resynchronizes
 * before its next command.
 */
public final class GuestAgentInterruptedException extends GuestAgentException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public GuestAgentInterruptedException(String message, InterruptedException cause) {
    super(message, cause);
  }
}

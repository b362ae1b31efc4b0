package io.github.qemucpr.qga;

import org.jspecify.annotations.Nullable;

/**
 * The agent sent something that is not a valid answer: a line that is not JSON, a message over the
 * size limit, or a reply whose shape does not fit the command. The connection stays open; the
 * client resynchronizes before its next command.
 */
public final class GuestAgentProtocolException extends GuestAgentException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public GuestAgentProtocolException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}

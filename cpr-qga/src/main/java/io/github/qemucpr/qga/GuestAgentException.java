package io.github.qemucpr.qga;

import org.jspecify.annotations.Nullable;

/**
 * The root of every exception the guest agent client throws. Unchecked: callers catch the subtype
 * they can act on.
 *
 * <ul>
 *   <li>{@link GuestAgentCommandException}: the agent answered the command with an error, and its
 *       subtype {@link GuestAgentCommandUnavailableException} for a command the agent does not know
 *       or has disabled;
 *   <li>{@link GuestAgentTimeoutException}: no answer in time (the command may still take effect);
 *   <li>{@link GuestAgentConnectionClosedException}: the connection is gone;
 *   <li>{@link GuestAgentProtocolException}: the agent sent something that is not valid;
 *   <li>{@link GuestAgentInterruptedException}: the calling thread was interrupted while waiting;
 *   <li>{@link GuestAgentConnectException}: the socket could not be opened.
 * </ul>
 */
public class GuestAgentException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message and an optional cause. */
  public GuestAgentException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }

  /** Creates an exception with a message. */
  public GuestAgentException(String message) {
    super(message);
  }
}

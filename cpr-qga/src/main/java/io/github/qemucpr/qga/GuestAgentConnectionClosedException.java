package io.github.qemucpr.qga;

import org.jspecify.annotations.Nullable;

/**
 * The connection is closed: the client was closed, the socket broke (possibly in the middle of a
 * reply), or QEMU exited. The call pending at that moment fails with this exception, and so does
 * every later call; connect again to continue.
 */
public final class GuestAgentConnectionClosedException extends GuestAgentException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with the reason the connection closed. */
  public GuestAgentConnectionClosedException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}

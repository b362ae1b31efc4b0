package io.github.qemucpr.qga;

import org.jspecify.annotations.Nullable;

/** The socket could not be opened: no such file, connection refused, permission denied. */
public final class GuestAgentConnectException extends GuestAgentException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public GuestAgentConnectException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}

package io.github.qemucpr.qmp;

import org.jspecify.annotations.Nullable;

/**
 * The connection is closed: the client was closed, the socket broke, or QEMU exited. Every call
 * pending at that moment fails with this exception at once, and so does every later call.
 */
public final class QmpConnectionClosedException extends QmpException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with the reason the connection closed. */
  public QmpConnectionClosedException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}

package io.github.qemucpr.qmp;

import org.jspecify.annotations.Nullable;

/** The socket could not be opened: no such file, connection refused, permission denied. */
public final class QmpConnectException extends QmpException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public QmpConnectException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}

package io.github.qemucpr.qmp;

import java.time.Duration;

/**
 * No reply came in time. For a command this does not mean that it failed: QEMU may still carry it
 * out. A late reply is dropped and never handed to another caller. If QEMU did not even read the
 * request within the timeout (it is stopped or hung, and the socket is full), the client closes the
 * connection as well, since a half-sent request would corrupt it.
 */
public final class QmpTimeoutException extends QmpException {
  private static final long serialVersionUID = 1L;

  private final Duration timeout;

  /** Creates the exception; {@code message} says what was waited for and what it means. */
  public QmpTimeoutException(String message, Duration timeout) {
    super(message);
    this.timeout = timeout;
  }

  /** How long the caller waited. */
  public Duration timeout() {
    return timeout;
  }
}

package io.github.qemucpr.qmp;

import java.time.Duration;

/**
 * No reply came in time. For a command this does not mean that it failed: QEMU may still carry it
 * out. A late reply is dropped and never handed to another caller.
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

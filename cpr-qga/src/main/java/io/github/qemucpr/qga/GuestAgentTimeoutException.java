package io.github.qemucpr.qga;

import java.time.Duration;

/**
 * No answer came in time. For a command this does not mean that it failed: the agent may still
 * carry it out. The client resynchronizes before its next command, so a late reply is discarded and
 * never handed to another caller.
 */
public final class GuestAgentTimeoutException extends GuestAgentException {
  private static final long serialVersionUID = 1L;

  private final Duration timeout;

  /** Creates the exception; {@code message} says what was waited for and what it means. */
  public GuestAgentTimeoutException(String message, Duration timeout) {
    super(message);
    this.timeout = timeout;
  }

  /** How long the caller waited. */
  public Duration timeout() {
    return timeout;
  }
}

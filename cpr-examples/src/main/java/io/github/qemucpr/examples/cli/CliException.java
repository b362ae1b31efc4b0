package io.github.qemucpr.examples.cli;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A failure outside the CPR workflow that the tool explains itself, such as a socket it cannot
 * connect to: what happened, and what to do about it.
 */
final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ExitStatus status;
  private final String advice;

  CliException(ExitStatus status, String message, String advice, @Nullable Throwable cause) {
    super(message, cause);
    this.status = Objects.requireNonNull(status, "status");
    this.advice = Objects.requireNonNull(advice, "advice");
  }

  ExitStatus status() {
    return status;
  }

  String advice() {
    return advice;
  }
}

package io.github.qemucpr.api;

import java.util.Objects;

/**
 * One finding of the preflight.
 *
 * @param code what the item is about
 * @param severity whether it stops a save
 * @param subject the object it is about: a backend id, a device path, a capability name, a file
 * @param message what is wrong, in a sentence
 * @param fix what to do about it
 */
public record PreflightItem(
    PreflightCode code, Severity severity, String subject, String message, String fix) {

  /** Checks the components. */
  public PreflightItem {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(fix, "fix");
  }

  /** Whether this item stops a save. */
  public boolean isError() {
    return severity == Severity.ERROR;
  }

  /** How much an item matters. */
  public enum Severity {
    /** The save would fail or lose data; {@code run()} refuses to start. */
    ERROR,
    /** The save works, at a cost the caller should know about. */
    WARNING
  }

  /** One line: {@code ERROR MEMORY_DISCARD_DATA [ram0] message Fix: fix}. */
  @Override
  public String toString() {
    return severity + " " + code + " [" + subject + "] " + message + " Fix: " + fix;
  }
}

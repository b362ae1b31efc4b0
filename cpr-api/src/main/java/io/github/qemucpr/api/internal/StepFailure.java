package io.github.qemucpr.api.internal;

import io.github.qemucpr.qga.GuestAgentCommandException;
import io.github.qemucpr.qmp.QmpCommandException;
import org.jspecify.annotations.Nullable;

/** A step of a save or restore failed; carries QEMU's own words when there are any. */
final class StepFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final @Nullable String qemuError;

  StepFailure(String message, @Nullable String qemuError, @Nullable Throwable cause) {
    super(message, cause);
    this.qemuError = qemuError;
  }

  StepFailure(String message, @Nullable Throwable cause) {
    this(message, qemuErrorOf(cause), cause);
  }

  @Nullable String qemuError() {
    return qemuError;
  }

  /** QEMU's (or the agent's) error text in a failure, if it has one. */
  static @Nullable String qemuErrorOf(@Nullable Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof StepFailure && ((StepFailure) c).qemuError != null) {
        return ((StepFailure) c).qemuError;
      }
      if (c instanceof QmpCommandException) {
        return ((QmpCommandException) c).description();
      }
      if (c instanceof GuestAgentCommandException) {
        return ((GuestAgentCommandException) c).description();
      }
    }
    return null;
  }

  /**
   * The message to show for a failure: its message (for a {@code StepFailure}, our own words), or
   * the exception itself when it has none.
   */
  static String describe(Throwable t) {
    String m = t.getMessage();
    return m != null ? m : t.toString();
  }

  /** The text as a sentence: with a final period unless it ends with punctuation already. */
  static String sentence(String text) {
    String t = text.strip();
    return t.endsWith(".") || t.endsWith("?") || t.endsWith("!") ? t : t + ".";
  }
}

package io.github.qemucpr.examples.cli;

import io.github.qemucpr.api.CprCheckpointException;
import io.github.qemucpr.api.CprException;
import io.github.qemucpr.api.CprPreflightException;

/** The exit codes of the {@code cpr} tool. */
public enum ExitStatus {
  /** Success. */
  OK(0, "success"),
  /** Could not connect, or another error outside the CPR workflow. */
  ERROR(1, "could not connect, or another error outside the CPR workflow"),
  /** A bad command line. */
  USAGE(2, "usage error"),
  /**
   * The preflight found errors and nothing was changed; or a restore was refused before QEMU was
   * touched (a missing, tampered or already restored checkpoint).
   */
  REFUSED(
      3,
      "refused: the preflight found errors, or the checkpoint is unusable; nothing was"
          + " changed"),
  /** The operation failed and the VM was put back as it was. */
  ROLLED_BACK(4, "the operation failed and the VM was put back as it was"),
  /** The operation failed and the VM needs attention; the message says its state. */
  NEEDS_ATTENTION(
      5, "the operation failed and the VM needs attention; the message says its" + " state");

  // The help's exit code list; annotations take only constants.
  static final String HEADING = "%nExit codes:%n";
  static final String LIST_0 = "0:success";
  static final String LIST_1 = "1:could not connect, or another error outside the CPR workflow";
  static final String LIST_2 = "2:usage error";
  static final String LIST_3 =
      "3:refused, nothing was changed: the preflight found errors, or"
          + " the checkpoint is missing, tampered or already restored";
  static final String LIST_4 = "4:the operation failed and the VM was put back as it was";
  static final String LIST_5 = "5:the operation failed and the VM needs attention";

  private final int code;
  private final String meaning;

  ExitStatus(int code, String meaning) {
    this.code = code;
    this.meaning = meaning;
  }

  /** The process exit code. */
  public int code() {
    return code;
  }

  /** What the code means, for the help and the JSON report. */
  public String meaning() {
    return meaning;
  }

  /** The exit status for a failure: what the CPR exception says of the VM, else {@link #ERROR}. */
  public static ExitStatus of(Throwable failure) {
    if (failure instanceof CprPreflightException || failure instanceof CprCheckpointException) {
      return REFUSED;
    }
    if (failure instanceof CprException) {
      switch (((CprException) failure).recovery()) {
        case UNTOUCHED:
          return REFUSED;
        case RESTORED:
          return ROLLED_BACK;
        default:
          return NEEDS_ATTENTION;
      }
    }
    return ERROR;
  }
}

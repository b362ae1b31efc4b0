package io.github.qemucpr.qmp;

/**
 * QEMU answered a command with {@code {"error": {"class": ..., "desc": ...}}}. The command did not
 * take effect (as far as QEMU reports).
 */
public class QmpCommandException extends QmpException {
  private static final long serialVersionUID = 1L;

  private final String command;
  private final QmpErrorClass errorClass;
  private final String errorClassName;
  private final String description;

  /** Creates the exception from the parts of QEMU's error reply. */
  public QmpCommandException(String command, String errorClassName, String description) {
    super(command + " failed: " + description + " (" + errorClassName + ")");
    this.command = command;
    this.errorClassName = errorClassName;
    this.errorClass = QmpErrorClass.fromWireName(errorClassName);
    this.description = description;
  }

  /** The command that failed, such as {@code migrate}. */
  public String command() {
    return command;
  }

  /**
   * The error class as a constant; {@link QmpErrorClass#UNKNOWN} for classes this SDK does not
   * know.
   */
  public QmpErrorClass errorClass() {
    return errorClass;
  }

  /** The error class exactly as QEMU sent it, such as {@code GenericError}. */
  public String errorClassName() {
    return errorClassName;
  }

  /** QEMU's human-readable description ({@code desc}). */
  public String description() {
    return description;
  }
}

package io.github.qemucpr.qga;

/**
 * The guest agent answered a command with {@code {"error": {"class": ..., "desc": ...}}}, for
 * example {@code "the requested suspend mode is not supported by the guest"}. As far as the agent
 * reports, the command did not take effect.
 */
public class GuestAgentCommandException extends GuestAgentException {
  private static final long serialVersionUID = 1L;

  private final String command;
  private final String errorClass;
  private final String description;

  /** Creates the exception from the parts of the agent's error reply. */
  public GuestAgentCommandException(String command, String errorClass, String description) {
    super(command + " failed in the guest agent: " + description + " (" + errorClass + ")");
    this.command = command;
    this.errorClass = errorClass;
    this.description = description;
  }

  /** The command that failed, such as {@code guest-suspend-ram}. */
  public String command() {
    return command;
  }

  /** The error class exactly as the agent sent it, such as {@code GenericError}. */
  public String errorClass() {
    return errorClass;
  }

  /** The agent's human-readable description ({@code desc}). */
  public String description() {
    return description;
  }
}

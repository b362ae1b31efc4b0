package io.github.qemucpr.qmp;

/**
 * QEMU does not know the command, or it is not available in this build ({@code CommandNotFound}).
 */
public final class QmpCommandNotFoundException extends QmpCommandException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception from the parts of QEMU's error reply. */
  public QmpCommandNotFoundException(String command, String errorClassName, String description) {
    super(command, errorClassName, description);
  }
}

package io.github.qemucpr.qmp;

/**
 * The calling thread was interrupted while it waited. The interrupt flag is set again before this
 * is thrown. The command, if one was sent, may still take effect.
 */
public final class QmpInterruptedException extends QmpException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public QmpInterruptedException(String message, InterruptedException cause) {
    super(message, cause);
  }
}

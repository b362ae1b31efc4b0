package io.github.qemucpr.launcher;

import org.jspecify.annotations.Nullable;

/**
 * QEMU could not be started or did not become ready: it is missing or too old, it exited early, or
 * its monitor did not answer in time. The message holds what QEMU printed and, when QEMU is
 * missing, the command that installs it.
 */
public final class QemuLaunchException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public QemuLaunchException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}

package io.github.qemucpr.api;

import io.github.qemucpr.qmp.command.RunState;
import org.jspecify.annotations.Nullable;

/**
 * A restore failed: the target QEMU is not waiting for an incoming migration, it does not match the
 * checkpoint, or it could not load the state ({@link #qemuError()} holds QEMU's {@code error-desc};
 * with {@code exit-on-error: false}, QEMU stays alive so that it can be read).
 */
public final class CprRestoreException extends CprException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; see {@link CprException#CprException}. */
  public CprRestoreException(
      String message,
      CprPhase phase,
      @Nullable String qemuError,
      @Nullable RunState vmState,
      VmRecovery recovery,
      @Nullable Throwable cause) {
    super(message, phase, qemuError, vmState, recovery, cause);
  }
}

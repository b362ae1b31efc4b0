package io.github.qemucpr.api;

import io.github.qemucpr.qmp.command.RunState;
import org.jspecify.annotations.Nullable;

/**
 * A save failed after it started. Unless {@link #checkpointSaved()}, it was rolled back: a
 * migration still active was cancelled, the migration parameters and capabilities were set back,
 * the {@code .partial} file was deleted, and the VM was brought back to the run state it had
 * (resumed with {@code cont}, or woken with {@code system_wakeup} when the save suspended it). An
 * earlier state file at the target is never replaced by a failed save.
 */
public final class CprSaveException extends CprException {
  private static final long serialVersionUID = 1L;

  private final boolean checkpointSaved;

  /** Creates the exception; see {@link CprException#CprException}. */
  public CprSaveException(
      String message,
      CprPhase phase,
      @Nullable String qemuError,
      @Nullable RunState vmState,
      VmRecovery recovery,
      boolean checkpointSaved,
      @Nullable Throwable cause) {
    super(message, phase, qemuError, vmState, recovery, cause);
    this.checkpointSaved = checkpointSaved;
  }

  /**
   * Whether the state file and its manifest were saved in full despite the failure: after a
   * failure to {@link CprPhase#QUIT quit}, which leaves a VM in {@code postmigrate} that must not
   * run again unless the checkpoint is thrown away; or when the migration had completed and the VM
   * cannot run again in its QEMU (QEMU died, say), so that the complete state was persisted rather
   * than deleted. Restore from the checkpoint then.
   */
  public boolean checkpointSaved() {
    return checkpointSaved;
  }
}

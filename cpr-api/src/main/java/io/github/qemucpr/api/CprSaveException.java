package io.github.qemucpr.api;

import io.github.qemucpr.qmp.command.RunState;
import org.jspecify.annotations.Nullable;

/**
 * A save failed after it started, and was rolled back: a migration still active was cancelled, the
 * state file's descriptor was taken back from QEMU, the migration parameters and capabilities were
 * set back, the {@code .partial} file was deleted, and the VM was brought back to the run state it
 * had (resumed with {@code cont}, or woken with {@code system_wakeup} when the save suspended it,
 * including a guest whose suspend landed only after its timeout). After a suspend timeout, only an
 * error reply to {@code guest-suspend-ram} or a suspend that landed shows that no suspend comes
 * later; an agent that answers again does not (on a systemd guest, {@code systemctl suspend}
 * returns once logind has queued the suspend, which lands seconds later). Without either, the VM is
 * left running, the recovery is {@link VmRecovery#NEEDS_ATTENTION}, and the message says that the
 * guest may still suspend.
 *
 * <p>A migration that completed is the exception, whether the save saw it complete or the rollback
 * found out from QEMU (run state {@code postmigrate}, {@code query-migrate}) after a timeout, an
 * interruption or a lost reply. The complete state is then deleted only if the VM runs again in its
 * QEMU; it is kept, and the {@link #recovery()} is {@link VmRecovery#NEEDS_ATTENTION}, when the VM
 * does not: when its guest was suspended, by the save or by itself during the save (QEMU 10.0
 * aborts on {@code cont} after a completed migration of a suspended guest, so none is sent), when
 * QEMU is gone, when the VM was not running before the save, or when {@code cont} failed. When QEMU
 * is gone and some of its {@code MIGRATION} events were lost to a flood, so that whether it
 * completed is not known, the {@code .partial} file is kept too. It is kept as a checkpoint with
 * its manifest ({@link #checkpointSaved()}) when it can be, else as the file the message names; the
 * message says what to do: quit QEMU without resuming it, and restore from that file. A failure to
 * {@link CprPhase#QUIT quit} after a successful save leaves the checkpoint as well.
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
   * Whether the state file and its manifest were saved in full despite the failure: after a failure
   * to {@link CprPhase#QUIT quit}, which leaves a VM in {@code postmigrate} that must not run again
   * unless the checkpoint is thrown away; or when the migration had completed and the VM does not
   * run again in its QEMU (QEMU died, or the guest was suspended, say), so that the complete state
   * was kept rather than deleted. Restore from the checkpoint then, after quitting the old QEMU;
   * never resume the old QEMU as well.
   */
  public boolean checkpointSaved() {
    return checkpointSaved;
  }
}

package io.github.qemucpr.api;

import java.util.EnumSet;
import java.util.Set;

/**
 * The phases of a save (PREFLIGHT, SUSPEND, PREPARE, MIGRATE, PERSIST, QUIT), of a restore (VERIFY,
 * PREPARE, LOAD, WAKE_UP, MARK_RESTORED) and of a cpr-transfer (PREFLIGHT, PREPARE, MIGRATE,
 * CONNECT_TARGET, LOAD, QUIT) and of a cpr-exec (PREFLIGHT, SUSPEND, PREPARE, MIGRATE,
 * CONNECT_TARGET, LOAD, WAKE_UP; SUSPEND and WAKE_UP only for a guest it suspends), each in the
 * order it runs. Exceptions, progress events and the results' durations name them.
 */
public enum CprPhase {
  /** Save and transfer: the checks that change nothing ({@link CprSaveBuilder#check()}). */
  PREFLIGHT(Operation.SAVE, Operation.TRANSFER, Operation.EXEC),
  /**
   * Save, and an exec asked to suspend the guest first: {@code guest-suspend-ram} through the guest
   * agent, and the wait for the suspend.
   */
  SUSPEND(Operation.SAVE, Operation.EXEC),
  /**
   * Restore: the state file is checked against its manifest, before anything in QEMU is changed
   * (the prepare's queries, which change nothing, go out while the file is hashed).
   */
  VERIFY(Operation.RESTORE),
  /**
   * Save and restore: the state file is opened and passed to QEMU, mode and capabilities set.
   * Transfer: mode {@code cpr-transfer} and capabilities set on the source. Exec: the state file
   * created and passed to QEMU, mode {@code cpr-exec}, the new command line and capabilities set.
   */
  PREPARE(Operation.SAVE, Operation.RESTORE, Operation.TRANSFER, Operation.EXEC),
  /**
   * Save: {@code migrate} to the {@code .partial} file, until QEMU confirms {@code completed}.
   * Transfer: {@code migrate} over the main and cpr channels, until the source has written the cpr
   * state. Exec: {@code migrate} to the state file, until QEMU confirms {@code completed}.
   */
  MIGRATE(Operation.SAVE, Operation.TRANSFER, Operation.EXEC),
  /**
   * Transfer: connecting to the new QEMU's monitor, which answers once it has read the cpr state.
   * Exec: QEMU executes the new binary in the same process, and the SDK connects again to the new
   * QEMU's monitor on the same socket.
   */
  CONNECT_TARGET(Operation.TRANSFER, Operation.EXEC),
  /** Save: fsync, the atomic rename onto the target, the manifest. */
  PERSIST(Operation.SAVE),
  /**
   * Restore: {@code migrate-incoming}, until QEMU confirms {@code completed}. Transfer: {@code
   * migrate-incoming} on a new QEMU started with {@code -incoming defer}, then the wait until the
   * source completed and the new QEMU runs the VM. Exec: the wait until the new QEMU has loaded the
   * state file and runs the VM (or holds it paused or suspended, as it was).
   */
  LOAD(Operation.RESTORE, Operation.TRANSFER, Operation.EXEC),
  /**
   * Restore, and an exec that suspended the guest: {@code system_wakeup} of a guest that comes back
   * suspended, until it runs.
   */
  WAKE_UP(Operation.RESTORE, Operation.EXEC),
  /** Restore: the manifest is marked as restored, so that the checkpoint is not used twice. */
  MARK_RESTORED(Operation.RESTORE),
  /**
   * Save: {@code quit}, until the monitor connection closes. Transfer: the same, on the source,
   * once the new QEMU is confirmed to run the VM.
   */
  QUIT(Operation.SAVE, Operation.TRANSFER);

  private final Set<Operation> operations;

  CprPhase(Operation first, Operation... more) {
    this.operations = EnumSet.of(first, more);
  }

  /** Whether a save runs this phase. */
  public boolean isSavePhase() {
    return operations.contains(Operation.SAVE);
  }

  /** Whether a restore runs this phase. */
  public boolean isRestorePhase() {
    return operations.contains(Operation.RESTORE);
  }

  /** Whether a cpr-transfer ({@link CprTransfer}) runs this phase. */
  public boolean isTransferPhase() {
    return operations.contains(Operation.TRANSFER);
  }

  /** Whether a cpr-exec ({@link CprExec}) runs this phase. */
  public boolean isExecPhase() {
    return operations.contains(Operation.EXEC);
  }

  private enum Operation {
    SAVE,
    RESTORE,
    TRANSFER,
    EXEC
  }
}

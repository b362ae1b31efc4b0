package io.github.qemucpr.api;

/**
 * The phases of a save (PREFLIGHT, SUSPEND, PREPARE, MIGRATE, PERSIST, QUIT) and of a restore
 * (VERIFY, PREPARE, LOAD, WAKE_UP, MARK_RESTORED), each in the order it runs. Exceptions, progress
 * events and the results' durations name them.
 */
public enum CprPhase {
  /** Save: the checks that change nothing ({@link CprSaveBuilder#check()}). */
  PREFLIGHT(Operation.SAVE),
  /** Save: {@code guest-suspend-ram} through the guest agent, and the wait for the suspend. */
  SUSPEND(Operation.SAVE),
  /** Restore: the state file is checked against its manifest, before QEMU is touched. */
  VERIFY(Operation.RESTORE),
  /** Save and restore: the state file is opened and passed to QEMU, mode and capabilities set. */
  PREPARE(Operation.BOTH),
  /** Save: {@code migrate} to the {@code .partial} file, until QEMU confirms {@code completed}. */
  MIGRATE(Operation.SAVE),
  /** Save: fsync, the atomic rename onto the target, the manifest. */
  PERSIST(Operation.SAVE),
  /** Save: {@code quit}, until the monitor connection closes. */
  QUIT(Operation.SAVE),
  /** Restore: {@code migrate-incoming}, until QEMU confirms {@code completed}. */
  LOAD(Operation.RESTORE),
  /** Restore: {@code system_wakeup} of a guest that comes back suspended, until it runs. */
  WAKE_UP(Operation.RESTORE),
  /** Restore: the manifest is marked as restored, so that the checkpoint is not used twice. */
  MARK_RESTORED(Operation.RESTORE);

  private final Operation operation;

  CprPhase(Operation operation) {
    this.operation = operation;
  }

  /** Whether a save runs this phase. */
  public boolean isSavePhase() {
    return operation != Operation.RESTORE;
  }

  /** Whether a restore runs this phase. */
  public boolean isRestorePhase() {
    return operation != Operation.SAVE;
  }

  private enum Operation {
    SAVE,
    RESTORE,
    BOTH
  }
}

package io.github.qemucpr.api;

/** What a failed save or restore left the VM as, compared with before it started. */
public enum VmRecovery {
  /** The operation failed before it changed anything in QEMU. */
  UNTOUCHED,
  /**
   * The operation changed the VM and the rollback put it back: the run state, the migration
   * parameters and capabilities are as they were before (checked with {@code query-status}).
   */
  RESTORED,
  /**
   * The VM could not be confirmed to be as it was: a rollback step failed, QEMU is gone, or the run
   * state differs. {@link CprException#vmState()} says what was seen; an operator should look.
   */
  NEEDS_ATTENTION
}

package io.github.qemucpr.qmp.command;

import java.util.Objects;

/**
 * The VM's run state, as {@code query-status} reports it. An open set: a state this SDK does not
 * know is kept as it came.
 *
 * @param wireName the state as QEMU spells it, such as {@code running}
 */
public record RunState(String wireName) {
  /** The guest runs. */
  public static final RunState RUNNING = new RunState("running");

  /** Stopped by {@code stop} or {@code -S}. */
  public static final RunState PAUSED = new RunState("paused");

  /** The guest is in S3, suspended to RAM. */
  public static final RunState SUSPENDED = new RunState("suspended");

  /** Waiting for an incoming migration ({@code -incoming}). */
  public static final RunState INMIGRATE = new RunState("inmigrate");

  /** An outgoing migration has completed; the VM will not run here again unless continued. */
  public static final RunState POSTMIGRATE = new RunState("postmigrate");

  /** The final phase of an outgoing migration. */
  public static final RunState FINISH_MIGRATE = new RunState("finish-migrate");

  /** Restoring from a snapshot. */
  public static final RunState RESTORE_VM = new RunState("restore-vm");

  /** Saving a snapshot. */
  public static final RunState SAVE_VM = new RunState("save-vm");

  /** The guest shut down (with {@code -no-shutdown}). */
  public static final RunState SHUTDOWN = new RunState("shutdown");

  /** The guest panicked. */
  public static final RunState GUEST_PANICKED = new RunState("guest-panicked");

  /** An internal error stopped the VM. */
  public static final RunState INTERNAL_ERROR = new RunState("internal-error");

  /** A disk I/O error stopped the VM. */
  public static final RunState IO_ERROR = new RunState("io-error");

  /** Not started yet. */
  public static final RunState PRELAUNCH = new RunState("prelaunch");

  /** Stopped by a debugger. */
  public static final RunState DEBUG = new RunState("debug");

  /** Waiting for a reset after a watchdog or a failed reset. */
  public static final RunState WATCHDOG = new RunState("watchdog");

  /** COLO is running. */
  public static final RunState COLO = new RunState("colo");

  /** Checks the name. */
  public RunState {
    Objects.requireNonNull(wireName, "wireName");
  }

  /** The state with this name, known or not. */
  public static RunState of(String wireName) {
    return new RunState(wireName);
  }

  @Override
  public String toString() {
    return wireName;
  }
}

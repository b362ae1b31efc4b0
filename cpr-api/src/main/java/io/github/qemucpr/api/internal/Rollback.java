package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.RunState;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One rollback after a failure: the rules every workflow's rollback follows, in one place.
 *
 * <ul>
 *   <li>It reports the failure on the phase that failed, and the steps on the same phase.
 *   <li>It clears the thread's interrupt flag while it runs, since it must still talk to QEMU: at
 *       the start, and again before each step and query, so that an interrupt that arrives during
 *       one step does not abort the next ones. It remembers any interrupt, sets the flag again at
 *       the end ({@link #end}), and its report says that the rollback was interrupted.
 *   <li>Every step runs even when an earlier one failed; failures are collected, and end up as
 *       suppressed exceptions of the workflow's exception ({@link #suppressInto}).
 *   <li>The VM counts as {@link VmRecovery#RESTORED} only when no step failed and the final run
 *       state is the one before.
 * </ul>
 */
final class Rollback {

  private final Progress progress;
  private final CprPhase phase;
  private boolean interrupted;
  private final List<Throwable> problems = new ArrayList<>();

  /** Starts the rollback of {@code failure}: reports it, and clears the interrupt flag. */
  Rollback(Progress progress, Throwable failure) {
    this.progress = progress;
    CprPhase current = progress.current();
    this.phase = current != null ? current : CprPhase.PREPARE;
    progress.failed(StepFailure.describe(failure));
    this.interrupted = Thread.interrupted();
  }

  /** The phase that failed. */
  CprPhase phase() {
    return phase;
  }

  /** Runs one step and reports it; a failure is collected, and the rollback goes on. */
  void step(String what, Progress.RollbackStep step) {
    clearInterrupt();
    try {
      progress.rollbackStep(problems, what, step);
    } finally {
      clearInterrupt();
    }
  }

  /**
   * Clears the thread's interrupt flag, and remembers that it was set: for waits the rollback runs
   * outside {@link #step} and {@link #query}, so that an interrupt during them is handed back at
   * {@link #end} instead of being lost or aborting the wait.
   */
  void clearInterrupt() {
    if (Thread.interrupted()) {
      interrupted = true;
    }
  }

  /** Collects a failure met outside a step. */
  void problem(Throwable t) {
    problems.add(t);
  }

  /** Whether every step so far succeeded. */
  boolean clean() {
    return problems.isEmpty();
  }

  /** How many steps failed. */
  int failures() {
    return problems.size();
  }

  /**
   * The run state, asked with a rollback's command timeout; {@code null} when QEMU cannot say. A
   * failure, of any kind (a decorated client may throw its own), is collected: it never replaces
   * the failure being rolled back.
   */
  @Nullable RunState query(QmpClient qmp) {
    clearInterrupt();
    try {
      return VmStatus.query(qmp, WorkflowTimeouts.ROLLBACK_COMMAND);
    } catch (RuntimeException e) {
      problems.add(e);
      return null;
    } finally {
      clearInterrupt();
    }
  }

  /** Sets the thread's interrupt flag again if it was set before or during the rollback. */
  void end() {
    clearInterrupt();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** {@link VmRecovery#RESTORED} when no step failed and {@code back}, else NEEDS_ATTENTION. */
  VmRecovery recovery(boolean back) {
    return problems.isEmpty() && back ? VmRecovery.RESTORED : VmRecovery.NEEDS_ATTENTION;
  }

  /** Reports how the rollback ended: the VM's state, the recovery, and how many steps failed. */
  void report(String vm, VmRecovery recovery) {
    progress.rollback(
        phase,
        vm
            + ", "
            + recovery
            + (problems.isEmpty() ? "" : ", " + problems.size() + " rollback step(s) failed")
            + (interrupted()
                ? ", the thread was interrupted (the rollback ran all its steps all the same)"
                : ""));
  }

  /** Whether the thread was interrupted before or during the rollback. */
  boolean interrupted() {
    return interrupted || Thread.currentThread().isInterrupted();
  }

  /** Adds every collected failure to {@code e} as suppressed, and returns it. */
  <E extends Throwable> E suppressInto(E e) {
    problems.forEach(e::addSuppressed);
    return e;
  }

  /** Whether the run state after a rollback is the one before (paused and postmigrate alike). */
  static boolean sameAsBefore(RunState before, RunState after) {
    if (before.equals(after)) {
      return true;
    }
    return before.equals(RunState.PAUSED) && after.equals(RunState.POSTMIGRATE);
  }
}

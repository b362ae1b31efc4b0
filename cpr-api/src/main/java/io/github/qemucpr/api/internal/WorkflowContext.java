package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprPreflightException;
import io.github.qemucpr.api.PreflightReport;
import io.github.qemucpr.qmp.EventWait;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.command.Quit;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.command.SystemWakeup;
import io.github.qemucpr.qmp.event.WakeupEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * What one run of a workflow holds and every phase uses: the QMP client, the deadline, the progress
 * reporting, and the steps that all workflows take alike (the preflight gate, starting a phase,
 * quitting QEMU, waking a suspended guest).
 */
final class WorkflowContext {

  final QmpClient qmp;
  final Deadline deadline;
  final Progress progress;

  WorkflowContext(QmpClient qmp, WorkflowOptions options) {
    this.qmp = qmp;
    this.deadline = new Deadline(options.timeout(), options.phaseTimeout());
    this.progress = new Progress(options.listener());
  }

  /** A preflight run alone, as {@code check()} runs it. */
  @FunctionalInterface
  interface PreflightRun<O> {
    PreflightReport run(QmpClient qmp, O options, Deadline deadline);
  }

  /**
   * {@code check()}: the preflight alone, under the client guard, within the options' limits;
   * changes nothing.
   */
  static <O extends WorkflowOptions> PreflightReport check(
      QmpClient qmp, O options, PreflightRun<O> preflight) {
    try (ClientGuard guard = ClientGuard.acquire(qmp, "check")) {
      return preflight.run(qmp, options, new Deadline(options.timeout(), options.phaseTimeout()));
    }
  }

  /** The time a command of the normal path may take: what is left, at most 30 s. */
  Duration commandTimeout() {
    return deadline.remaining(WorkflowTimeouts.COMMAND);
  }

  /** Starts a phase: its clock, and its report. */
  void startPhase(CprPhase phase, String message) {
    deadline.startPhase();
    progress.start(phase, message);
  }

  /**
   * Runs a preflight as the first phase, and refuses to go on when it found an error.
   *
   * @param report the preflight's report, from its facts
   * @param runState the run state it read, from its facts ({@code null} if it could not)
   * @throws CprPreflightException when the report has an error; nothing was changed
   */
  <F> F preflight(
      Supplier<F> preflight,
      Function<F, PreflightReport> report,
      Function<F, @Nullable RunState> runState) {
    progress.start(CprPhase.PREFLIGHT, "checking " + qmp.describePeer());
    ColdPathWarmup.runOnce(); // outside the blackout: what is cold would otherwise run inside it
    F facts = preflight.get();
    PreflightReport r = report.apply(facts);
    if (r.hasErrors()) {
      progress.failed(r.errors().size() + " error(s)");
      throw new CprPreflightException(r, runState.apply(facts));
    }
    progress.finish(r.warnings().size() + " warning(s)");
    return facts;
  }

  /**
   * Whether the caller closed the client ({@link QmpClient#close()}): its close future completed
   * with {@code null}, not with the reason of a broken connection or of QEMU's exit.
   */
  static boolean closedByCaller(QmpClient qmp) {
    CompletableFuture<@Nullable Throwable> closed = qmp.closeFuture();
    return closed.isDone() && !closed.isCompletedExceptionally() && closed.getNow(null) == null;
  }

  /**
   * Why a workflow failed, as the first sentence of its exception. When the caller closed the
   * client during the workflow, it says so, and not what the failure it caused says (a connection
   * closed, a wait cut short), which would read as if QEMU had died.
   *
   * @param operation the workflow, as in "during the save"
   * @param where where the VM is when the caller closed the client, as a sentence; empty when the
   *     workflow's message says it elsewhere
   */
  static String failureSentence(QmpClient qmp, Throwable failure, String operation, String where) {
    if (closedByCaller(qmp)) {
      return "the caller closed the QMP client for "
          + qmp.describePeer()
          + " during the "
          + operation
          + " (QEMU did not end the connection, and this "
          + operation
          + " could not go on without it)."
          + (where.isEmpty() ? "" : " " + where);
    }
    return StepFailure.sentence(StepFailure.describe(failure));
  }

  /** The time a quit gets: what is left, but at least {@link WorkflowTimeouts#MIN_QUIT}. */
  Duration quitTimeout() {
    Duration left = deadline.remaining();
    return left.compareTo(WorkflowTimeouts.MIN_QUIT) < 0 ? WorkflowTimeouts.MIN_QUIT : left;
  }

  /**
   * Sends {@code quit} and waits for QEMU to close the connection, within {@code timeout}. QEMU may
   * close it before it replies, which counts as done.
   */
  static void quitAndAwaitClose(QmpClient qmp, Duration timeout)
      throws TimeoutException, ExecutionException, InterruptedException {
    try {
      qmp.execute(new Quit(), timeout);
    } catch (QmpConnectionClosedException e) {
      // QEMU may close the connection before its reply
    }
    qmp.closeFuture().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Wakes a suspended guest with {@code system_wakeup} and waits for QEMU's {@code WAKEUP}. Each
   * limit is asked for when its wait begins, so a deadline's limits shrink with the time spent.
   *
   * @return when QEMU says the guest woke
   */
  static Instant wakeUp(
      QmpClient qmp, Supplier<Duration> commandTimeout, Supplier<Duration> eventTimeout) {
    try (EventWait<WakeupEvent> woke = qmp.expectEvent(WakeupEvent.class, e -> true)) {
      qmp.execute(new SystemWakeup(), commandTimeout.get());
      return woke.await(eventTimeout.get()).timestamp();
    }
  }
}

package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprTransferException;
import io.github.qemucpr.api.CprTransferException.VmLocation;
import io.github.qemucpr.api.CprTransferResult;
import io.github.qemucpr.api.PreflightReport;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpCommandException;
import io.github.qemucpr.qmp.QmpConnectException;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.command.Cont;
import io.github.qemucpr.qmp.command.Migrate;
import io.github.qemucpr.qmp.command.MigrateIncoming;
import io.github.qemucpr.qmp.command.MigrationAddress;
import io.github.qemucpr.qmp.command.MigrationCapability;
import io.github.qemucpr.qmp.command.MigrationChannel;
import io.github.qemucpr.qmp.command.MigrationInfo;
import io.github.qemucpr.qmp.command.MigrationMode;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.RunState;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * The cpr-transfer state machine: preflight, prepare, migrate, connect to the target, load, and
 * optionally quit the source. Every step records what it changed before it changes it, so that
 * {@link #rollback} undoes exactly that much. Not thread-safe; one instance runs once.
 *
 * <p>What QEMU 10.0 does, checked here: {@code migrate} connects to the cpr channel and writes the
 * RAM descriptors before it replies (so a new QEMU that is gone fails it at once, "Connection
 * refused"); the source then waits, VM running and status {@code setup}, until the new QEMU closes
 * the cpr channel, which it does once it listens on the main channel. The new QEMU creates its QMP
 * socket only after it has read the cpr channel, and with {@code -incoming defer} listens on the
 * main channel only after {@code migrate-incoming}. A new QEMU that dies after reading the cpr
 * channel makes the source's migration fail ({@code Failed to connect to MAIN}); one that hangs
 * leaves it in {@code setup}, where {@code migrate_cancel} ends it. Either way the source never
 * stopped the VM. It stops it ({@code STOP}) only once the main channel is connected.
 */
public final class TransferWorkflow {
  /** Between two attempts to connect to the target's monitor, which appears within milliseconds. */
  private static final Duration CONNECT_RETRY = Duration.ofMillis(5);

  /** The longest a single attempt waits for the target's greeting. */
  private static final Duration GREETING_TIMEOUT = Duration.ofSeconds(5);

  private static final Duration POLL_INTERVAL = Duration.ofMillis(10);

  /** The run states in which a QEMU holds the VM after an incoming migration. */
  private static final Set<RunState> HOLDS_VM =
      Set.of(RunState.RUNNING, RunState.PAUSED, RunState.SUSPENDED);

  private final WorkflowContext ctx;
  private final QmpClient qmp;
  private final TransferOptions options;
  private final Deadline deadline;
  private final Progress progress;

  // What the transfer has done so far, for the rollback.
  private final ChangeLog changes;
  private @Nullable MigrationWatcher sourceWatcher;
  private boolean migrateSent;
  private @Nullable MigrationStatus sourceEnd;
  private boolean sourceCompleted;
  private @Nullable QmpClient target;
  private @Nullable MigrationWatcher targetWatcher;
  private boolean incomingDeferred;
  private @Nullable Instant targetSeenRunningAt;

  private TransferWorkflow(QmpClient qmp, TransferOptions options) {
    this.ctx = new WorkflowContext(qmp, options);
    this.qmp = qmp;
    this.options = options;
    this.deadline = ctx.deadline;
    this.progress = ctx.progress;
    this.changes = new ChangeLog(qmp);
  }

  /** The preflight alone; changes nothing. */
  public static PreflightReport check(QmpClient qmp, TransferOptions options) {
    return WorkflowContext.check(
        qmp, options, (q, o, d) -> TransferPreflight.run(q, o, d).report());
  }

  /** The whole transfer. */
  public static CprTransferResult run(QmpClient qmp, TransferOptions options) {
    // The new QEMU too: an operation on it, through another client, would meet the transfer's.
    try (ClientGuard guard = ClientGuard.acquire(qmp, options.targetQmp(), "transfer")) {
      return new TransferWorkflow(qmp, options).run();
    }
  }

  /** {@code CprTransfer.quitSource}: quits the source once the target holds the VM. */
  public static void quitSource(QmpClient source, QmpClient target, Duration timeout) {
    try (ClientGuard guard = ClientGuard.acquire(source, "quit")) {
      quit(source, target, timeout, false);
    }
  }

  private record Outcome(
      RunState sourceState,
      RunState targetState,
      Duration blackout,
      boolean exact,
      @Nullable Duration qemuDowntime) {}

  private CprTransferResult run() {
    TransferFacts f =
        ctx.preflight(
            () -> TransferPreflight.run(qmp, options, deadline),
            TransferFacts::report,
            TransferFacts::runState);
    RunState before = Objects.requireNonNull(f.runState(), "checked by the preflight");

    Outcome outcome;
    try {
      prepare(f);
      migrate();
      connectTarget();
      outcome = load(before);
    } catch (RuntimeException | Error e) {
      throw rollback(e, before);
    } finally {
      for (MigrationWatcher w : new MigrationWatcher[] {sourceWatcher, targetWatcher}) {
        if (w != null) {
          w.close();
        }
      }
    }

    QmpClient t = Objects.requireNonNull(target);
    boolean quit = false;
    if (options.quitSource()) {
      startPhase(CprPhase.QUIT, "quit the source, " + qmp.describePeer());
      try {
        quit(qmp, t, ctx.quitTimeout(), true);
      } catch (RuntimeException | Error e) {
        progress.failed(StepFailure.describe(e));
        t.close();
        throw e;
      }
      progress.finish("the source quit");
      quit = true;
    }
    CprTransferResult.Builder result =
        CprTransferResult.builder()
            .target(t) // handed to the caller, who closes it
            .targetQmp(options.targetQmp())
            .targetState(outcome.targetState())
            .sourceState(outcome.sourceState())
            .blackout(outcome.blackout())
            .blackoutExact(outcome.exact())
            .qemuDowntime(outcome.qemuDowntime())
            .incomingDeferred(incomingDeferred)
            .sourceQuit(quit)
            .phaseDurations(progress.durations())
            .total(progress.elapsed())
            .preflight(f.report());
    t.peerProcessId().ifPresent(result::targetProcessId);
    return result.build();
  }

  private Duration commandTimeout() {
    return ctx.commandTimeout();
  }

  private void startPhase(CprPhase phase, String message) {
    ctx.startPhase(phase, message);
  }

  // ------------------------------------------------------------------ phases

  private void prepare(TransferFacts f) {
    startPhase(CprPhase.PREPARE, "mode cpr-transfer and events on the source");
    changes.setMode(f.modeBefore(), MigrationMode.CPR_TRANSFER, commandTimeout());
    Map<MigrationCapability, Boolean> wanted = new LinkedHashMap<>();
    wanted.put(MigrationCapability.EVENTS, true);
    // A QEMU that was itself restored by cpr-reboot still has x-ignore-shared on. cpr-transfer
    // hands RAM over by descriptor and needs it off: the new QEMU starts with it off, and its
    // load fails on the mismatch (the source sees "Broken pipe").
    wanted.put(MigrationCapability.X_IGNORE_SHARED, false);
    changes.setCapabilities(wanted, f.capabilities(), commandTimeout());
    progress.finish("mode cpr-transfer, events on, x-ignore-shared off");
  }

  private void migrate() {
    startPhase(
        CprPhase.MIGRATE,
        "migrate: main channel " + options.mainChannel() + ", cpr channel " + options.cprChannel());
    MigrationWatcher w = new MigrationWatcher(qmp); // before migrate: events may beat the reply
    sourceWatcher = w;
    migrateSent = true;
    try {
      qmp.execute(
          Migrate.toChannels(
              List.of(
                  MigrationChannel.main(MigrationAddress.unixSocket(options.mainChannel())),
                  MigrationChannel.cpr(MigrationAddress.unixSocket(options.cprChannel())))),
          commandTimeout());
    } catch (QmpCommandException e) {
      throw new StepFailure(
          "the source could not start the migration: "
              + e.description()
              + (e.description().contains(options.cprChannel().toString())
                  ? " (no new QEMU waits on the cpr channel: did it exit?)"
                  : ""),
          e.description(),
          e);
    }
    progress.finish("the source handed its RAM over through " + options.cprChannel());
  }

  /**
   * Connects to the new QEMU's monitor, which appears only once it has read the cpr channel.
   * Between attempts it watches the source, whose migration fails when the new QEMU dies.
   */
  private void connectTarget() {
    startPhase(
        CprPhase.CONNECT_TARGET, "waiting for the new QEMU's monitor at " + options.targetQmp());
    Duration limit = deadline.remaining(options.targetConnectTimeout());
    long end = System.nanoTime() + limit.toNanos();
    MigrationWatcher w = Objects.requireNonNull(sourceWatcher);
    QmpException last = null;
    int attempts = 0;
    while (true) {
      watchSource(w);
      long left = end - System.nanoTime();
      if (left <= 0) {
        throw new StepFailure(
            "the new QEMU's monitor at "
                + options.targetQmp()
                + " did not answer within "
                + limit.toMillis()
                + " ms of migrate: is the new QEMU still running?"
                + (last != null ? " (last attempt: " + last.getMessage() + ")" : ""),
            null,
            last);
      }
      attempts++;
      try {
        Duration greeting = Duration.ofNanos(left);
        target =
            QmpClient.builder()
                .unixSocket(options.targetQmp())
                .connectTimeout(
                    greeting.compareTo(GREETING_TIMEOUT) < 0 ? greeting : GREETING_TIMEOUT)
                .name("cpr-transfer-target")
                .onConnect(this::watchTarget) // before any event: RESUME may follow at once
                .connect();
        break;
      } catch (QmpConnectException | QmpTimeoutException e) {
        last = e; // no socket yet, or no greeting yet: look again
      }
    }
    QmpClient t = Objects.requireNonNull(target);
    progress.finish(
        "connected to QEMU " + t.greeting().version() + " after " + attempts + " attempt(s)");
  }

  /** Runs on each connection to the target before QEMU can send it an event. */
  private void watchTarget(QmpClient t) {
    MigrationWatcher stale = targetWatcher;
    if (stale != null) {
      stale.close(); // of an attempt whose connection failed
    }
    targetWatcher = new MigrationWatcher(t);
  }

  /** Waits a moment for the source's migration to end; fails unless it completed. */
  private void watchSource(MigrationWatcher w) {
    if (sourceEnd != null) {
      sleep(CONNECT_RETRY);
      return;
    }
    MigrationStatus status;
    try {
      status =
          w.awaitFinished(CONNECT_RETRY, e -> progress.progress("source migration " + e.status()))
              .status();
    } catch (QmpTimeoutException e) {
      return; // still migrating
    }
    sourceEnd = status;
    if (!status.equals(MigrationStatus.COMPLETED)) {
      MigrationInfo info = qmp.execute(new QueryMigrate(), commandTimeout());
      throw new StepFailure(
          "the source's migration "
              + info.status()
              + " before the new QEMU's monitor answered"
              + (info.errorDesc() != null ? ": " + info.errorDesc() : "")
              + " (did the new QEMU exit after it read the cpr channel?)",
          info.errorDesc(),
          null);
    }
  }

  private Outcome load(RunState before) {
    QmpClient t = Objects.requireNonNull(target);
    MigrationWatcher w = Objects.requireNonNull(sourceWatcher);
    startPhase(CprPhase.LOAD, "the new QEMU loads the device state from " + options.mainChannel());
    MigrationWatcher tw = Objects.requireNonNull(targetWatcher);
    RunState targetState = VmStatus.query(t, commandTimeout());
    seenRunning(targetState);
    // Still loading after the watcher started: its RESUME will be seen.
    boolean resumeExpected = targetState.equals(RunState.INMIGRATE);
    MigrationInfo targetInfo = t.execute(new QueryMigrate(), commandTimeout());
    incomingDeferred =
        targetState.equals(RunState.INMIGRATE) && targetInfo.status().equals(MigrationStatus.NONE);
    if (incomingDeferred) {
      progress.progress("-incoming defer: migrate-incoming on " + options.mainChannel());
      t.execute(
          MigrateIncoming.fromChannels(
                  List.of(
                      MigrationChannel.main(MigrationAddress.unixSocket(options.mainChannel()))))
              .withExitOnError(false),
          commandTimeout());
    }

    if (sourceEnd == null) {
      try {
        sourceEnd =
            w.awaitFinished(
                    deadline.remaining(), e -> progress.progress("source migration " + e.status()))
                .status();
      } catch (QmpTimeoutException e) {
        throw new StepFailure(
            "the source's migration did not end within " + deadline.describe(), null, e);
      }
    }
    MigrationInfo info = qmp.execute(new QueryMigrate(), commandTimeout());
    if (!info.status().equals(MigrationStatus.COMPLETED)) {
      throw new StepFailure(
          "the source's migration "
              + info.status()
              + (info.errorDesc() != null ? ": " + info.errorDesc() : ""),
          info.errorDesc(),
          null);
    }
    sourceCompleted = true;
    RunState sourceState = VmStatus.settled(qmp, w, deadline.remaining(WorkflowTimeouts.SETTLE));
    if (!sourceState.equals(RunState.POSTMIGRATE)) {
      throw new StepFailure(
          "the source's migration completed, but its run state is "
              + sourceState
              + ", not postmigrate",
          null,
          null);
    }

    targetState =
        tw.awaitIncomingDone(
            deadline, commandTimeout(), POLL_INTERVAL, "the VM", this::seenRunning);
    if (!targetState.equals(before)) {
      throw new StepFailure(
          "the new QEMU is "
              + targetState
              + " after the migration, not "
              + before
              + " as the VM was before",
          null,
          null);
    }

    Blackout blackout =
        Blackout.measure(before, targetState, resumeExpected, w, tw, targetSeenRunningAt);
    Duration qemuDowntime = info.downtime() != null ? Duration.ofMillis(info.downtime()) : null;
    progress.finish(
        "the new QEMU is "
            + targetState
            + ", the source "
            + sourceState
            + "; blackout "
            + blackout.describe());
    return new Outcome(
        sourceState, targetState, blackout.duration(), blackout.exact(), qemuDowntime);
  }

  private void seenRunning(RunState state) {
    if (state.equals(RunState.RUNNING) && targetSeenRunningAt == null) {
      targetSeenRunningAt = Instant.now();
    }
  }

  /**
   * Quits the source once the target is confirmed to hold the VM. {@code afterTransfer} says
   * whether this follows the transfer in the same run: then a quit that is refused or fails still
   * leaves a VM that moved (never {@link VmRecovery#UNTOUCHED}), and one that last held it is the
   * target even when it cannot be asked now.
   */
  private static void quit(
      QmpClient source, QmpClient target, Duration timeout, boolean afterTransfer) {
    Duration query =
        timeout.compareTo(WorkflowTimeouts.COMMAND) < 0 ? timeout : WorkflowTimeouts.COMMAND;
    // What a quit that did nothing leaves: as it was for quitSource, moved after a transfer.
    VmRecovery untouched = afterTransfer ? VmRecovery.NEEDS_ATTENTION : VmRecovery.UNTOUCHED;
    String moved =
        afterTransfer
            ? " The transfer itself completed: the new QEMU held the VM when it was checked after the"
                + " load. Never resume the source; quit it once the new QEMU is checked."
            : "";
    RunState targetState;
    MigrationStatus incoming;
    RunState sourceState;
    try {
      targetState = VmStatus.query(target, query);
      incoming = target.execute(new QueryMigrate(), query).status();
    } catch (QmpException e) {
      throw new CprTransferException(
          "The new QEMU could not be asked whether it holds the VM ("
              + StepFailure.describe(e)
              + "), so the source was not quit."
              + moved,
          CprPhase.QUIT,
          StepFailure.qemuErrorOf(e),
          null,
          untouched,
          afterTransfer ? VmLocation.TARGET : VmLocation.UNKNOWN,
          null,
          e);
    }
    try {
      sourceState = VmStatus.query(source, query);
    } catch (QmpException e) {
      throw new CprTransferException(
          "The source could not be asked for its run state ("
              + StepFailure.describe(e)
              + "), so it was not quit."
              + moved,
          CprPhase.QUIT,
          StepFailure.qemuErrorOf(e),
          targetState,
          untouched,
          VmLocation.TARGET,
          targetState,
          e);
    }
    boolean targetHolds =
        incoming.equals(MigrationStatus.COMPLETED) && HOLDS_VM.contains(targetState);
    if (!targetHolds || !sourceState.equals(RunState.POSTMIGRATE)) {
      VmLocation location =
          targetHolds || afterTransfer
              ? VmLocation.TARGET
              : HOLDS_VM.contains(sourceState) ? VmLocation.SOURCE : VmLocation.UNKNOWN;
      throw new CprTransferException(
          "The source was not quit: "
              + (!targetHolds
                  ? "the new QEMU is not confirmed to hold the VM (run state "
                      + targetState
                      + ", incoming migration "
                      + incoming
                      + ")."
                  : "the source is " + sourceState + ", not postmigrate.")
              + moved,
          CprPhase.QUIT,
          null,
          location == VmLocation.TARGET ? targetState : sourceState,
          untouched,
          location,
          targetState,
          null);
    }
    try {
      WorkflowContext.quitAndAwaitClose(source, timeout);
    } catch (QmpException | TimeoutException | ExecutionException e) {
      throw new CprTransferException(
          "The new QEMU holds the VM, but the source did not quit: "
              + StepFailure.describe(e)
              + ". Quit it (or kill it) by hand; never resume it.",
          CprPhase.QUIT,
          StepFailure.qemuErrorOf(e),
          targetState,
          VmRecovery.NEEDS_ATTENTION,
          VmLocation.TARGET,
          targetState,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CprTransferException(
          "The new QEMU holds the VM; interrupted while waiting for the source to quit.",
          CprPhase.QUIT,
          null,
          targetState,
          VmRecovery.NEEDS_ATTENTION,
          VmLocation.TARGET,
          targetState,
          e);
    }
  }

  // ------------------------------------------------------------------ rollback

  /**
   * Brings the VM back to the source when that is safe: cancels the source's migration if it is
   * still under way, sets its capabilities and mode back, and resumes it with {@code cont} if it
   * was running and is not. A migration that completed is rolled back only when the new QEMU
   * reports that its load failed (it never ran the guest); when the new QEMU holds the VM, the VM
   * stays there; when the new QEMU is gone or silent, nothing is resumed, since both QEMUs share
   * the guest's RAM. Each step runs even when an earlier one failed; failures are added to the
   * returned exception as suppressed.
   */
  private CprTransferException rollback(Throwable failure, RunState before) {
    Rollback rollback = new Rollback(progress, failure);
    MigrationWatcher w = sourceWatcher;
    QmpClient t = target;
    VmLocation location = VmLocation.SOURCE;
    RunState targetState = null;
    String note = "";
    try {
      boolean completed = sourceCompleted || MigrationStatus.COMPLETED.equals(sourceEnd);
      if (migrateSent && !completed) {
        rollback.step(
            "cancel the migration on the source",
            () ->
                MigrationWatcher.cancelIfActive(
                    qmp, w, WorkflowTimeouts.ROLLBACK_COMMAND, WorkflowTimeouts.CANCEL));
        try {
          completed =
              qmp.execute(new QueryMigrate(), WorkflowTimeouts.ROLLBACK_COMMAND)
                  .status()
                  .equals(MigrationStatus.COMPLETED);
        } catch (QmpException e) {
          rollback.problem(e);
        }
      }
      boolean targetHoldsVm = false;
      boolean targetLoadFailed = false;
      if (t != null && t.isOpen()) {
        try {
          targetState = VmStatus.query(t, WorkflowTimeouts.ROLLBACK_COMMAND);
          MigrationStatus incoming =
              t.execute(new QueryMigrate(), WorkflowTimeouts.ROLLBACK_COMMAND).status();
          targetHoldsVm =
              incoming.equals(MigrationStatus.COMPLETED) && HOLDS_VM.contains(targetState);
          targetLoadFailed =
              targetState.equals(RunState.INMIGRATE)
                  && (incoming.equals(MigrationStatus.FAILED)
                      || incoming.equals(MigrationStatus.CANCELLED));
        } catch (QmpException e) {
          // the new QEMU died or hangs: nothing is known of it
        }
      }
      RunState sourceState = null;
      try {
        sourceState = VmStatus.settled(qmp, w, WorkflowTimeouts.SETTLE);
      } catch (QmpException e) {
        rollback.problem(e);
      }

      if (completed && targetHoldsVm) {
        location = VmLocation.TARGET;
        note =
            " The new QEMU holds the VM (run state "
                + targetState
                + "; connect to "
                + options.targetQmp()
                + "), and the source stays in postmigrate: never resume the"
                + " source; quit it once the new QEMU is checked.";
      } else if (completed && !targetLoadFailed) {
        location = VmLocation.UNKNOWN;
        note =
            " The source completed its migration and is in postmigrate, and the new QEMU "
                + (t == null ? "never answered" : !t.isOpen() ? "is gone" : "is " + targetState)
                + ": whether the guest ran there is unknown. 'cont' on the source resumes the VM,"
                + " which is safe only if the new QEMU never ran it (both share the guest's RAM).";
      } else {
        changes.undo(rollback);
        if (sourceState != null
            && before.equals(RunState.RUNNING)
            && (sourceState.equals(RunState.PAUSED) || sourceState.equals(RunState.POSTMIGRATE))) {
          rollback.step(
              "cont on the source",
              () -> qmp.execute(new Cont(), WorkflowTimeouts.ROLLBACK_COMMAND));
        }
        if (completed) {
          note =
              " The new QEMU failed to load the VM and never ran it, so the source resumed it;"
                  + " quit the new QEMU.";
        } else if (t != null && t.isOpen()) {
          note = " The new QEMU (" + options.targetQmp() + ") holds nothing: quit it.";
        }
      }
    } catch (RuntimeException unexpected) {
      rollback.problem(unexpected);
    }
    RunState after;
    try {
      after = rollback.query(qmp);
      if (t != null) {
        t.close(); // the caller connects again when the VM runs there
      }
    } finally {
      rollback.end();
    }
    boolean back = after != null && Rollback.sameAsBefore(before, after);
    VmRecovery recovery = rollback.recovery(location == VmLocation.SOURCE && back);
    rollback.report(
        "VM on the "
            + location.name().toLowerCase(java.util.Locale.ROOT)
            + ", source "
            + (after != null ? after : "state unknown"),
        recovery);
    CprTransferException e =
        new CprTransferException(
            "The transfer failed: "
                + WorkflowContext.failureSentence(qmp, failure, "transfer", "")
                + (location == VmLocation.TARGET
                    ? " The VM is on the new QEMU."
                    : location == VmLocation.SOURCE
                        ? " The VM is on the source."
                        : " Which QEMU has the VM is not known.")
                + note,
            rollback.phase(),
            StepFailure.qemuErrorOf(failure),
            location == VmLocation.TARGET ? targetState : after,
            recovery,
            location,
            targetState,
            failure);
    return rollback.suppressInto(e);
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new io.github.qemucpr.qmp.QmpInterruptedException("interrupted", e);
    }
  }
}

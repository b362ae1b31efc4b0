package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprSaveException;
import io.github.qemucpr.api.CprSaveResult;
import io.github.qemucpr.api.PreflightReport;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.GuestAgentCommandException;
import io.github.qemucpr.qga.GuestAgentTimeoutException;
import io.github.qemucpr.qga.command.GuestPing;
import io.github.qemucpr.qga.command.GuestSuspendRam;
import io.github.qemucpr.qmp.EventWait;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpCommandException;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.command.AddFd;
import io.github.qemucpr.qmp.command.AddFdInfo;
import io.github.qemucpr.qmp.command.Cont;
import io.github.qemucpr.qmp.command.FdsetInfo;
import io.github.qemucpr.qmp.command.Migrate;
import io.github.qemucpr.qmp.command.MigrateCancel;
import io.github.qemucpr.qmp.command.MigrationCapability;
import io.github.qemucpr.qmp.command.MigrationInfo;
import io.github.qemucpr.qmp.command.MigrationMode;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.QueryFdsets;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RemoveFd;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.command.RunStatus;
import io.github.qemucpr.qmp.event.SuspendEvent;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * The save state machine: preflight, suspend, prepare, migrate, persist, quit. Every step records
 * what it changed before it changes it, so that {@link #rollback} undoes exactly that much. Not
 * thread-safe; one instance runs once.
 */
public final class SaveWorkflow {
  private static final Duration ROLLBACK_COMMAND_TIMEOUT = WorkflowTimeouts.ROLLBACK_COMMAND;
  private static final Duration CANCEL_TIMEOUT = WorkflowTimeouts.CANCEL;
  private static final Duration SETTLE_TIMEOUT = WorkflowTimeouts.SETTLE;

  /** How long a closed client may take to finish closing and say why. */
  private static final Duration CLOSE_SETTLE = Duration.ofSeconds(2);

  /**
   * How long a rollback waits to learn whether a suspend that did not finish in time still lands:
   * for the {@code SUSPEND} event, or for the agent, which answers nothing while its {@code
   * guest-suspend-ram} runs.
   */
  static final Duration SUSPEND_SETTLE_TIMEOUT = Duration.ofSeconds(10);

  private final WorkflowContext ctx;
  private final QmpClient qmp;
  private final SaveOptions options;
  private final Deadline deadline;
  private final Progress progress;
  private final Path target;
  private final Path manifestPath;

  // What the save has done so far, for the rollback.
  private boolean suspendRequested;
  private @Nullable CompletableFuture<Void> suspendSent;
  private boolean suspendedByUs;
  private @Nullable Instant suspendedAt;
  private final ChangeLog changes;
  private final Map<MigrationCapability, Boolean> capabilitiesUsed = new LinkedHashMap<>();
  private StateFiles.@Nullable PartialFile partial;
  private @Nullable Long fdset;
  private @Nullable String fdsetOpaque;
  private boolean addFdUnanswered;
  private @Nullable CompletableFuture<?> fdsetRemoval;
  private @Nullable MigrationWatcher watcher;
  private @Nullable GuestSleepWatch sleepWatch;

  /** How many {@code SUSPEND} events the watch had counted when the save asked for its own. */
  private long suspendsBeforeRequest;

  /**
   * Why the rollback could not confirm that a suspend request is over; {@code null} if it could.
   */
  private @Nullable String suspendUnsettled;

  private boolean migrateSent;
  private boolean migrationCompleted;
  private boolean completedEventSeen;

  /** QEMU's last word on the migration, from its event: failed or cancelled, or null. */
  private @Nullable MigrationStatus endedWithout;

  private @Nullable Path manifestTemp;
  private @Nullable SaveFacts facts;
  private boolean persistStarted;
  private boolean stateCommitted;
  private boolean manifestCommitted;

  private SaveWorkflow(QmpClient qmp, SaveOptions options) {
    this.ctx = new WorkflowContext(qmp, options);
    this.qmp = qmp;
    this.options = options;
    this.deadline = ctx.deadline;
    this.progress = ctx.progress;
    this.changes = new ChangeLog(qmp);
    this.target = options.target();
    this.manifestPath = CprManifest.pathFor(target);
  }

  /** The preflight alone; changes nothing. */
  public static PreflightReport check(QmpClient qmp, SaveOptions options) {
    return WorkflowContext.check(qmp, options, (q, o, d) -> Preflight.run(q, o, d).report());
  }

  /** The whole save. */
  public static CprSaveResult run(QmpClient qmp, SaveOptions options) {
    try (ClientGuard guard = ClientGuard.acquire(qmp, "save")) {
      return new SaveWorkflow(qmp, options).run();
    }
  }

  private CprSaveResult run() {
    // Opened before the preflight reads the run state: a guest that suspends itself after that
    // read is seen, so that the rollback never sends it 'cont' after a completed migration.
    try (GuestSleepWatch sleeps = new GuestSleepWatch(qmp)) {
      sleepWatch = sleeps;
      return runWatched();
    }
  }

  private CprSaveResult runWatched() {
    SaveFacts f =
        ctx.preflight(
            () -> Preflight.run(qmp, options, deadline), SaveFacts::report, SaveFacts::runState);
    RunState before = Objects.requireNonNull(f.runState(), "checked by the preflight");
    facts = f;

    Persisted persisted;
    try {
      suspend(f, before);
      prepare(f);
      MigrationInfo info = migrate();
      persisted = persist(f, before, info);
    } catch (RuntimeException | Error | IOException e) {
      throw rollback(e, before);
    } finally {
      MigrationWatcher w = watcher;
      if (w != null) {
        w.close();
      }
    }

    boolean quit = false;
    if (options.quitAfterSave()) {
      quit();
      quit = true;
    }
    return new CprSaveResult(
        target,
        manifestPath,
        persisted.size,
        persisted.sha256,
        persisted.blackout,
        persisted.qemuDowntime,
        progress.durations(),
        progress.elapsed(),
        f.report().memorySavedInPlace(),
        suspendedByUs,
        before,
        quit,
        f.report());
  }

  private Duration commandTimeout() {
    return ctx.commandTimeout();
  }

  private void startPhase(CprPhase phase, String message) {
    ctx.startPhase(phase, message);
  }

  // ------------------------------------------------------------------ phases

  private void suspend(SaveFacts f, RunState before) {
    if (!f.suspendGuest() || !before.equals(RunState.RUNNING)) {
      return;
    }
    GuestAgentClient agent = Objects.requireNonNull(options.agent(), "checked by the preflight");
    startPhase(CprPhase.SUSPEND, "guest-suspend-ram through the guest agent");
    Duration limit = deadline.remaining(options.suspendTimeout());
    try (EventWait<SuspendEvent> suspended = qmp.expectEvent(SuspendEvent.class, e -> true)) {
      // A guest that went to sleep on its own since the preflight gets no request: its agent
      // would take it only once woken, and then suspend the guest after the rollback's wake-up.
      if (guestMaySleep()) {
        throw new StepFailure(
            "the guest suspended itself after the preflight (QEMU reported"
                + " SUSPEND): it was not asked to suspend again and is left as it is; save again"
                + " once it runs",
            null,
            null);
      }
      suspendsBeforeRequest = suspendCount();
      suspendRequested = true;
      // The agent cannot answer from a suspended guest, so its client waits out a no-reply window
      // before it calls the command accepted. The SUSPEND event ends the wait sooner; an error
      // from the agent (suspend disabled or unsupported) ends it too.
      CompletableFuture<Void> sent = agent.executeAsync(new GuestSuspendRam(), limit);
      suspendSent = sent;
      CompletableFuture<Object> first = new CompletableFuture<>();
      suspended
          .future()
          .whenComplete(
              (e, t) ->
                  first.complete(
                      e != null
                          ? e
                          : new StepFailure(
                              "waiting for QEMU's SUSPEND event failed: "
                                  + StepFailure.describe(unwrap(t)),
                              unwrap(t))));
      sent.whenComplete(
          (v, t) -> {
            if (t != null) {
              first.complete(unwrap(t));
            }
          });
      Object outcome;
      try {
        outcome = first.get(limit.toNanos(), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        throw new StepFailure(
            "the guest did not suspend within "
                + limit
                + " (no SUSPEND event): does qemu-ga"
                + " still run in the guest, and does the guest support S3 (q35: -global"
                + " ICH9-LPC.disable_s3=0)?",
            null,
            e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StepFailure("interrupted while waiting for the guest to suspend", null, e);
      } catch (ExecutionException e) {
        throw new StepFailure("waiting for the guest to suspend failed", e.getCause());
      }
      if (outcome instanceof StepFailure) {
        throw (StepFailure) outcome;
      }
      if (outcome instanceof Throwable) {
        Throwable t = (Throwable) outcome;
        throw new StepFailure("guest-suspend-ram failed: " + StepFailure.describe(t), t);
      }
      suspendedAt = ((SuspendEvent) outcome).timestamp();
    }
    RunState now = VmStatus.query(qmp, commandTimeout());
    if (!now.equals(RunState.SUSPENDED)) {
      throw new StepFailure("QEMU reported SUSPEND, but the run state is " + now, null, null);
    }
    suspendedByUs = true;
    progress.finish("guest suspended");
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  private void prepare(SaveFacts f) throws IOException {
    startPhase(CprPhase.PREPARE, "opening " + StateFiles.partialPath(target));
    Path partialPath = StateFiles.partialPath(target);
    try {
      partial = StateFiles.createPartial(partialPath);
    } catch (FileAlreadyExistsException e) {
      throw new StepFailure(
          partialPath + " appeared after the preflight: is another save running?", null, e);
    }
    if (options.passFileDescriptor()) {
      String opaque = "qemu-cpr-java state file " + partialPath;
      fdsetOpaque = opaque;
      AddFdInfo added;
      try {
        added =
            qmp.execute(
                new AddFd(null, opaque, Objects.requireNonNull(partial).descriptor()),
                commandTimeout());
      } catch (QmpCommandException e) {
        throw e; // QEMU refused it: no fd set was made
      } catch (RuntimeException e) {
        addFdUnanswered = true; // QEMU may still add the descriptor: the rollback looks for it
        throw e;
      }
      fdset = added.fdsetId();
    }

    changes.setMode(f.modeBefore(), MigrationMode.CPR_REBOOT, commandTimeout());
    Map<MigrationCapability, Boolean> wanted = new LinkedHashMap<>();
    wanted.put(MigrationCapability.X_IGNORE_SHARED, f.ignoreShared());
    wanted.put(MigrationCapability.EVENTS, true);
    capabilitiesUsed.putAll(f.capabilities());
    capabilitiesUsed.putAll(wanted);
    changes.setCapabilities(wanted, f.capabilities(), commandTimeout());
    progress.finish(
        "mode cpr-reboot, x-ignore-shared "
            + (f.ignoreShared() ? "on" : "off")
            + ", events on"
            + (fdset != null ? ", state file in fdset " + fdset : ""));
  }

  private MigrationInfo migrate() {
    StateFiles.PartialFile file = Objects.requireNonNull(partial);
    startPhase(CprPhase.MIGRATE, "migrate to " + file.path());
    Long set = fdset;
    Migrate command =
        set != null ? Migrate.toFile("/dev/fdset/" + set, 0) : Migrate.toFile(file.path());
    MigrationWatcher w = new MigrationWatcher(qmp); // before migrate: events may beat the reply
    watcher = w;
    migrateSent = true;
    qmp.execute(command, commandTimeout());
    MigrationInfo info;
    @Nullable CompletableFuture<RunStatus> statusAfter;
    while (true) {
      MigrationStatus status;
      try {
        status =
            w.awaitFinished(deadline.remaining(), e -> progress.progress("migration " + e.status()))
                .status();
        completedEventSeen |= status.equals(MigrationStatus.COMPLETED);
        if (status.equals(MigrationStatus.FAILED) || status.equals(MigrationStatus.CANCELLED)) {
          endedWithout = status;
        }
      } catch (QmpTimeoutException e) {
        throw new StepFailure("the migration did not end within " + deadline.describe(), null, e);
      }
      // After a completed event, the run state is asked with the same round trip.
      Duration t = commandTimeout();
      CompletableFuture<MigrationInfo> query = qmp.executeAsync(new QueryMigrate(), t);
      CompletableFuture<RunStatus> runStatus =
          status.equals(MigrationStatus.COMPLETED) ? qmp.executeAsync(new QueryStatus(), t) : null;
      info = Pipelined.await(query);
      if (info.status().equals(MigrationStatus.COMPLETED)) {
        statusAfter = runStatus;
        break;
      }
      if (info.status().isFinished()) {
        throw new StepFailure(
            "the migration "
                + info.status()
                + (info.errorDesc() != null
                    ? ": " + info.errorDesc()
                    : " (event said " + status + ")"),
            info.errorDesc(),
            null);
      }
      // Still active: the event was not this migration's. Wait for the next one.
    }
    migrationCompleted = true;
    RunState state = VmStatus.settled(qmp, w, deadline.remaining(SETTLE_TIMEOUT), statusAfter);
    if (!state.equals(RunState.POSTMIGRATE)) {
      throw new StepFailure(
          "the migration completed, but the run state is " + state + ", not postmigrate",
          null,
          null);
    }
    startFdsetRemoval();
    progress.finish(
        "completed, "
            + info.status()
            + (info.downtime() != null ? ", QEMU downtime " + info.downtime() + " ms" : ""));
    return info;
  }

  /**
   * Gives QEMU back the state file's fd set. The reply is awaited by {@link #finishFdsetRemoval()},
   * after the persist's file steps, so that its round trip overlaps them.
   */
  private void startFdsetRemoval() {
    Long set = fdset;
    if (set != null) {
      fdsetRemoval = qmp.executeAsync(RemoveFd.set(set), commandTimeout());
    }
  }

  private void finishFdsetRemoval() {
    CompletableFuture<?> removal = fdsetRemoval;
    if (removal == null) {
      return;
    }
    fdsetRemoval = null;
    try {
      Pipelined.await(removal);
      fdset = null;
    } catch (QmpException e) {
      progress.progress("remove-fd " + fdset + " failed (QEMU closes it when it quits): " + e);
    }
  }

  /**
   * Gives QEMU back the state file's descriptor: the fd set {@code add-fd} named, or, when its
   * reply never came (a timeout, an interruption), the fd set that {@code query-fdsets} shows with
   * this save's note, since QEMU may have added it all the same.
   */
  private void removeFdset(Rollback rollback) {
    Long set = fdset;
    if (set != null) {
      rollback.step(
          "remove-fd " + set, () -> qmp.execute(RemoveFd.set(set), ROLLBACK_COMMAND_TIMEOUT));
      return;
    }
    String opaque = fdsetOpaque;
    if (!addFdUnanswered || opaque == null) {
      return;
    }
    rollback.step(
        "look for the fd set of an unanswered add-fd",
        () -> {
          for (FdsetInfo info : qmp.execute(new QueryFdsets(), ROLLBACK_COMMAND_TIMEOUT)) {
            if (info.fds().stream().anyMatch(fd -> opaque.equals(fd.opaque()))) {
              long id = info.fdsetId();
              rollback.step(
                  "remove-fd " + id + " (added by the unanswered add-fd)",
                  () -> qmp.execute(RemoveFd.set(id), ROLLBACK_COMMAND_TIMEOUT));
            }
          }
        });
  }

  private record Persisted(
      long size, String sha256, Duration blackout, @Nullable Duration qemuDowntime) {}

  private Persisted persist(SaveFacts f, RunState before, @Nullable MigrationInfo info)
      throws IOException {
    StateFiles.PartialFile file = Objects.requireNonNull(partial);
    persistStarted = true;
    startPhase(CprPhase.PERSIST, "fsync and rename onto " + target);
    file.fsync();
    long size = file.size();
    file.close();
    String sha256 = StateFiles.sha256(file.path());
    MigrationWatcher w = Objects.requireNonNull(watcher);
    Instant blackoutStart =
        suspendedAt != null ? suspendedAt : w.firstStop() != null ? w.firstStop() : null;
    Duration qemuDowntime =
        info != null && info.downtime() != null ? Duration.ofMillis(info.downtime()) : null;
    List<String> capabilities = new ArrayList<>();
    capabilitiesUsed.forEach(
        (cap, on) -> {
          if (on) {
            capabilities.add(cap.wireName());
          }
        });
    List<CprManifest.RamBackend> backends = new ArrayList<>();
    f.backends().forEach(b -> backends.add(b.toManifest()));
    CprManifest manifest =
        new CprManifest(
            CprManifest.FORMAT_VERSION,
            f.version().toString(),
            MigrationMode.CPR_REBOOT.wireName(),
            capabilities,
            backends,
            f.report().memorySavedInPlace(),
            suspendedByUs,
            before,
            StateFiles.fileName(target),
            size,
            sha256,
            blackoutStart,
            Instant.now(),
            qemuDowntime,
            null,
            null);
    manifestTemp = StateFiles.writeTemp(manifestPath, ManifestCodec.encode(manifest));
    // The state file first, then its manifest; a crash in between leaves a state file whose
    // manifest (if an older one is there) does not match it, which a restore refuses.
    Files.move(file.path(), target, StandardCopyOption.ATOMIC_MOVE);
    stateCommitted = true;
    Files.move(Objects.requireNonNull(manifestTemp), manifestPath, StandardCopyOption.ATOMIC_MOVE);
    manifestCommitted = true;
    manifestTemp = null;
    StateFiles.fsyncDirectory(StateFiles.directoryOf(target));
    Instant safe = Instant.now();
    finishFdsetRemoval();
    Duration blackout =
        blackoutStart != null ? Duration.between(blackoutStart, safe) : Duration.ZERO;
    progress.finish(
        size
            + " bytes, sha256 "
            + sha256.substring(0, 12)
            + "…, blackout "
            + blackout.toMillis()
            + " ms");
    return new Persisted(size, sha256, blackout, qemuDowntime);
  }

  private void quit() {
    startPhase(CprPhase.QUIT, "quit");
    try {
      WorkflowContext.quitAndAwaitClose(qmp, ctx.quitTimeout());
    } catch (QmpException | TimeoutException | ExecutionException e) {
      progress.failed(e.toString());
      throw new CprSaveException(
          "The state was saved to "
              + target
              + ", but QEMU did not quit: "
              + StepFailure.describe(e)
              + ". Do not resume this VM unless the checkpoint is thrown away;"
              + " quit QEMU and restore from the checkpoint instead.",
          CprPhase.QUIT,
          StepFailure.qemuErrorOf(e),
          RunState.POSTMIGRATE,
          VmRecovery.NEEDS_ATTENTION,
          true,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CprSaveException(
          "The state was saved to " + target + "; interrupted while waiting for QEMU to quit.",
          CprPhase.QUIT,
          null,
          null,
          VmRecovery.NEEDS_ATTENTION,
          true,
          e);
    }
    progress.finish("QEMU quit");
  }

  // ------------------------------------------------------------------ rollback

  /** What the rollback found out about the migration. */
  private enum Completion {
    /** No {@code migrate} was sent. */
    NOT_STARTED,
    /** It failed, was cancelled, or never started in QEMU: the state file is incomplete. */
    NOT_COMPLETED,
    /** It completed: the state file is complete, and the VM's only way back unless it runs on. */
    COMPLETED,
    /**
     * Neither QEMU's run state nor its migration status settles the question, or the run state
     * cannot be read at all (QEMU is gone or does not answer): the state file is kept.
     */
    UNKNOWN
  }

  /**
   * Undoes what the save did, in reverse: cancels the migration, gives QEMU back its fd set,
   * deletes the files the save created, sets the capabilities and the mode back, and brings the VM
   * back to its run state. Each step runs even when an earlier one failed; failures are added to
   * the returned exception as suppressed.
   *
   * <p>Whether the migration completed is decided from what QEMU says now (run state {@code
   * postmigrate}, {@code query-migrate} status {@code completed}, a {@code completed} event still
   * queued), not from how far the normal path got: the migration may complete just as a timeout
   * ends, the thread is interrupted, or {@code migrate}'s reply is lost. A completed migration's
   * state file is deleted only once the VM runs again in this QEMU; otherwise it is kept, and a VM
   * whose guest was suspended never gets {@code cont}, which aborts QEMU 10.0 after a completed
   * migration ("invalid runstate transition: 'postmigrate' -> 'suspended'").
   */
  private CprSaveException rollback(Throwable failure, RunState before) {
    Rollback rollback = new Rollback(progress, failure);
    boolean guestSuspended = suspendedByUs || before.equals(RunState.SUSPENDED);
    boolean kept = false;
    boolean checkpointSaved = false;
    boolean suspendSettled = true;
    String note = "";
    try {
      MigrationWatcher w = watcher;
      MigrationStatus end = null;
      if (migrateSent) {
        end = endMigration(rollback, w);
      }
      finishFdsetRemoval();
      removeFdset(rollback);
      if (suspendRequested && !suspendedByUs) {
        try {
          suspendSettled = settleSuspendRequest();
        } catch (RuntimeException e) {
          rollback.problem(e);
          suspendSettled = false;
        }
      }

      RunState state = null;
      try {
        state = VmStatus.settled(qmp, w, SETTLE_TIMEOUT);
      } catch (QmpException e) {
        rollback.problem(e);
      }
      // Suspended now: the request landed (the save sends none to a guest that slept already).
      if (!suspendSettled && RunState.SUSPENDED.equals(state)) {
        suspendSettled = true; // the late suspend landed: the guest is woken below
        suspendUnsettled = null;
      }
      Completion completion = completion(state, end);
      if (completion == Completion.COMPLETED) {
        String why;
        if (state == null) {
          why =
              qmp.isOpen()
                  ? "QEMU does not answer query-status"
                  : qemuEndedTheConnection()
                      ? "QEMU is gone"
                      : "the client's connection to QEMU closed on its side, and QEMU may still"
                          + " run";
        } else if (guestSuspended) {
          why =
              "the guest was suspended, and 'cont' after a completed migration of a suspended"
                  + " guest aborts QEMU 10.0";
        } else if (guestMaySleep()) {
          why =
              "the guest suspended itself during the save (QEMU reported SUSPEND with no WAKEUP"
                  + " after it), and 'cont' after a completed migration of a suspended guest aborts"
                  + " QEMU 10.0";
        } else if (!before.equals(RunState.RUNNING) || !state.equals(RunState.POSTMIGRATE)) {
          why = "the VM was " + before + " before the save and is " + state + " now";
        } else {
          changes.undo(rollback);
          rollback.step(
              "cont: the VM runs on, and the complete state goes stale",
              () -> qmp.execute(new Cont(), ROLLBACK_COMMAND_TIMEOUT));
          RunState now = queryQuietly();
          why =
              RunState.RUNNING.equals(now)
                  ? null
                  : "'cont' did not bring the VM back to running (run state "
                      + (now != null ? now : "unknown")
                      + ")";
        }
        if (why != null) {
          kept = true;
          checkpointSaved = keepCompleteState(rollback, before);
          note = keptStateNote(why, checkpointSaved);
        } else {
          // The VM runs again: a checkpoint of this save would pair old device state with newer
          // RAM.
          rollback.step("delete the files of this save", this::deleteOwnFiles);
        }
      } else if (completion == Completion.UNKNOWN) {
        kept = true;
        rollback.step("keep the state file", this::closeKeptStateFile);
        MigrationStatus said = end != null ? end : endedWithout;
        if (qmp.isOpen()
            && (MigrationStatus.FAILED.equals(said) || MigrationStatus.CANCELLED.equals(said))) {
          // QEMU said the migration is over and did not complete: whatever its run state, the
          // mode and capabilities this save set are of no more use there.
          changes.undo(rollback);
        }
        note = unknownStateNote(state, end);
      } else {
        changes.undo(rollback);
        if (state != null) {
          RunState s = state;
          rollback.step("bring the VM back to " + before, () -> restoreRunState(before, s));
        }
        rollback.step("delete the files of this save", this::deleteOwnFiles);
      }
      if (!suspendSettled) {
        String why = suspendUnsettled != null ? suspendUnsettled : "its agent could not be asked";
        note +=
            " Nothing shows that the guest's suspend request is over ("
                + why
                + "): the"
                + " guest may still suspend (then wake it with QMP system_wakeup), or it may be stuck"
                + " in suspend-to-idle, which QEMU cannot see (S3 disabled).";
      }
    } catch (RuntimeException unexpected) {
      rollback.problem(unexpected);
    }
    RunState after;
    try {
      after = rollback.query(qmp);
    } finally {
      rollback.end();
    }
    boolean back = after != null && Rollback.sameAsBefore(before, after);
    VmRecovery recovery = rollback.recovery(back && !kept && suspendSettled);
    rollback.report("VM " + (after != null ? after : "state unknown"), recovery);
    CprSaveException e =
        new CprSaveException(
            "The save failed: "
                + WorkflowContext.failureSentence(
                    qmp,
                    failure,
                    "save",
                    "the VM is in the QEMU at "
                        + qmp.describePeer()
                        + ", which may still run or migrate: connect a new client and ask it"
                        + " (query-status, query-migrate).")
                + note,
            rollback.phase(),
            StepFailure.qemuErrorOf(failure),
            after,
            recovery,
            checkpointSaved,
            failure);
    return rollback.suppressInto(e);
  }

  /**
   * Ends the migration if it still runs, and returns how it ended as far as QEMU says: a final
   * {@code MIGRATION} event already queued (which the normal path may never have taken), else
   * {@code query-migrate}, else the event that answers {@code migrate_cancel}. {@code null} when
   * QEMU could not be asked.
   */
  private @Nullable MigrationStatus endMigration(Rollback rollback, @Nullable MigrationWatcher w) {
    MigrationStatus queued = w != null ? queuedEnd(w) : null;
    if (queued != null) {
      return queued;
    }
    MigrationStatus[] end = new MigrationStatus[1];
    rollback.step(
        "cancel the migration",
        () -> {
          MigrationStatus status =
              qmp.execute(new QueryMigrate(), ROLLBACK_COMMAND_TIMEOUT).status();
          end[0] = status;
          if (!status.isActive()) {
            return;
          }
          qmp.execute(new MigrateCancel(), ROLLBACK_COMMAND_TIMEOUT);
          if (w != null) {
            try {
              end[0] = w.awaitFinished(CANCEL_TIMEOUT, e -> {}).status();
              return;
            } catch (QmpTimeoutException e) {
              // asked below
            }
          }
          end[0] = qmp.execute(new QueryMigrate(), ROLLBACK_COMMAND_TIMEOUT).status();
          if (end[0].isActive()) {
            throw new StepFailure(
                "the migration is still " + end[0] + " after migrate_cancel", null, null);
          }
        });
    return end[0];
  }

  /**
   * After a suspend that did not end in time, finds out whether the guest may still suspend. Only
   * two things prove that it will not: the agent refused {@code guest-suspend-ram} (an error
   * reply), or the suspend landed (a {@code SUSPEND} event, or the run state {@code suspended}),
   * after which the rollback wakes the guest. An answer to {@code guest-ping} proves nothing: the
   * agent is free again once its suspend command returned, and on a systemd guest that command is
   * {@code systemctl suspend}, which returns as soon as logind has queued the suspend; logind then
   * waits for its delay inhibitors (up to {@code InhibitDelayMaxSec}, 5 s by default, and the guest
   * may set more) and freezes tasks, so the suspend may land any time later. While the agent does
   * not answer (its {@code guest-suspend-ram} still runs, as {@code pm-suspend} or a write to
   * {@code /sys/power/state} do until the guest has suspended and woken), waits up to {@link
   * #SUSPEND_SETTLE_TIMEOUT} for the {@code SUSPEND} event; once the agent answers, stops waiting,
   * since no finite wait would prove more. Returns whether the request is known to be over (or to
   * have landed); otherwise {@link #suspendUnsettled} says why not, unless the run state the
   * rollback reads next is {@code suspended} (it landed, and the rollback wakes the guest).
   */
  private boolean settleSuspendRequest() {
    if (suspendRefused()) {
      return true; // the agent refused the suspend: nothing lands later
    }
    GuestAgentClient agent = options.agent();
    String unsettled = "no SUSPEND event, and the guest agent could not be asked";
    if (agent != null) {
      long end = System.nanoTime() + SUSPEND_SETTLE_TIMEOUT.toNanos();
      unsettled =
          "no SUSPEND event, and the guest agent did not answer within "
              + SUSPEND_SETTLE_TIMEOUT.toSeconds()
              + " s";
      try (EventWait<SuspendEvent> suspended = qmp.expectEvent(SuspendEvent.class, e -> true)) {
        while (true) {
          long left = end - System.nanoTime();
          if (left <= 0) {
            break;
          }
          CompletableFuture<Void> ping =
              agent.executeAsync(new GuestPing(), Duration.ofNanos(left));
          CompletableFuture<Object> first = new CompletableFuture<>();
          suspended.future().whenComplete((e, t) -> first.complete(e != null ? e : unwrap(t)));
          ping.whenComplete((v, t) -> first.complete(t == null ? ping : unwrap(t)));
          Object outcome;
          try {
            outcome = first.get(left, TimeUnit.NANOSECONDS);
          } catch (TimeoutException e) {
            break;
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            unsettled = "interrupted while waiting for the SUSPEND event or the guest agent";
            break;
          } catch (ExecutionException e) {
            break;
          }
          if (outcome instanceof SuspendEvent) {
            return true;
          }
          if (outcome == ping) {
            // The agent's suspend command is over; an error reply to it came first if it failed.
            if (suspendRefused()) {
              return true;
            }
            unsettled =
                "the guest agent answered again, but that shows only that its suspend"
                    + " command returned: on a systemd guest, 'systemctl suspend' returns once logind"
                    + " has queued the suspend, which then lands after logind's delay";
            break;
          }
          if (!(outcome instanceof GuestAgentTimeoutException)) {
            // The agent cannot be asked (its connection closed, say): only QEMU can tell.
            try {
              suspended.await(Duration.ofNanos(Math.max(1, end - System.nanoTime())));
              return true;
            } catch (QmpException e) {
              unsettled =
                  "no SUSPEND event within "
                      + SUSPEND_SETTLE_TIMEOUT.toSeconds()
                      + " s, and the guest agent could not be asked: "
                      + StepFailure.describe((Throwable) outcome);
              break;
            }
          }
          // The agent is still busy (suspending, perhaps): ask again.
        }
      } catch (QmpException e) {
        // QEMU cannot be asked: the run state read next tells what it can
      }
    }
    // The guest may have suspended before the wait above was registered and woken again since:
    // its SUSPEND is among those the save's watch counted. (If it is still suspended, the run
    // state the rollback reads next shows it, and the rollback wakes it.)
    if (suspendLandedUnseen()) {
      return true;
    }
    suspendUnsettled = unsettled;
    return false;
  }

  /** Whether the agent answered the save's {@code guest-suspend-ram} with an error. */
  private boolean suspendRefused() {
    CompletableFuture<Void> sent = suspendSent;
    if (sent == null || !sent.isCompletedExceptionally()) {
      return false;
    }
    try {
      sent.join();
      return false;
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      return unwrap(e) instanceof GuestAgentCommandException;
    }
  }

  /**
   * Whether a {@code SUSPEND} came after the save's request although the suspend phase did not see
   * one in time: the late suspend landed (and the guest woke again, or it would be suspended now).
   */
  private boolean suspendLandedUnseen() {
    return suspendCount() > suspendsBeforeRequest;
  }

  /** The {@code SUSPEND} events counted since the save began; all of them if some were lost. */
  private long suspendCount() {
    GuestSleepWatch w = sleepWatch;
    return w == null ? 0 : w.suspendCount();
  }

  /**
   * Whether the guest may have suspended itself after the preflight read the run state (the save
   * never suspends it without knowing). Errs towards "may sleep".
   */
  private boolean guestMaySleep() {
    GuestSleepWatch w = sleepWatch;
    return w == null || w.maySleep();
  }

  /** A final status among the events the watcher holds and nobody took, or {@code null}. */
  private static @Nullable MigrationStatus queuedEnd(MigrationWatcher w) {
    try {
      return w.awaitFinished(Duration.ZERO, e -> {}).status();
    } catch (QmpException e) {
      return null; // none queued, or QEMU is gone and sent none
    }
  }

  /** Whether the migration completed, from QEMU's own state rather than from the normal path. */
  private Completion completion(@Nullable RunState state, @Nullable MigrationStatus end) {
    if (!migrateSent) {
      return Completion.NOT_STARTED;
    }
    boolean saidCompleted =
        migrationCompleted || completedEventSeen || MigrationStatus.COMPLETED.equals(end);
    if (state != null) {
      if (state.equals(RunState.POSTMIGRATE)) {
        return Completion.COMPLETED; // the preflight refuses to start from postmigrate
      }
      if (state.equals(RunState.FINISH_MIGRATE)) {
        return saidCompleted ? Completion.COMPLETED : Completion.UNKNOWN;
      }
      // Running, paused or suspended: QEMU restarted the VM after a failed or cancelled
      // migration, or it never stopped; a 'completed' in query-migrate is then an older one.
      return Completion.NOT_COMPLETED;
    }
    if (saidCompleted) {
      return Completion.COMPLETED;
    }
    // No run state: QEMU is gone (killed with the VM in it), it does not answer, or the client
    // closed on its side. Even when QEMU said the migration failed, where the VM is now cannot be
    // confirmed, and the .partial may be all that is left of it: a state file is never deleted
    // then; an operator looks (QEMU refuses to load an incomplete state).
    return Completion.UNKNOWN;
  }

  /**
   * Whether QEMU itself ended the connection (its stream ended, as when it exits), so that every
   * event it sent has been read; not when the client closed on its own side.
   */
  private boolean qemuEndedTheConnection() {
    if (qmp.isOpen()) {
      return false;
    }
    // The close future completes just after the calls fail, as the client finishes closing.
    Throwable reason;
    try {
      reason = qmp.closeFuture().get(CLOSE_SETTLE.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException | TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    return reason instanceof QmpConnectionClosedException closed && closed.closedByQemu();
  }

  /** The run state, or {@code null} when QEMU cannot say; a failure is not a rollback's. */
  private @Nullable RunState queryQuietly() {
    try {
      return VmStatus.query(qmp, ROLLBACK_COMMAND_TIMEOUT);
    } catch (QmpException e) {
      return null;
    }
  }

  /**
   * Keeps the complete state of a completed migration: persisted as a checkpoint with its manifest
   * when the failure came before the persist phase (QEMU killed right after {@code completed},
   * say); otherwise as far as the persist got, with the manifest committed if it can be. Returns
   * whether the state file and its manifest are both in place.
   */
  private boolean keepCompleteState(Rollback rollback, RunState before) {
    SaveFacts f = facts;
    StateFiles.PartialFile file = partial;
    if (f != null && file != null && !persistStarted && file.isStillAtPath()) {
      try {
        persist(f, before, null);
        return true;
      } catch (IOException | RuntimeException e) {
        progress.rollback(
            CprPhase.PERSIST, "FAILED to save the complete state as a checkpoint: " + e);
      }
    }
    rollback.step("keep the complete state file", this::closeKeptStateFile);
    return stateCommitted && manifestCommitted;
  }

  private String keptStateNote(String why, boolean checkpoint) {
    StateFiles.PartialFile file = partial;
    Path kept = stateCommitted || file == null ? target : file.path();
    return " The migration had completed and the VM does not run again in this QEMU ("
        + why
        + "), so its complete state was kept in "
        + kept
        + (checkpoint ? " with its manifest" : " (without a manifest)")
        + ": "
        + (qemuEndedTheConnection() ? "start" : "quit this QEMU without resuming it, start")
        + " QEMU again with the same arguments plus -incoming defer, and restore from "
        + kept
        + ".";
  }

  private String unknownStateNote(@Nullable RunState state, @Nullable MigrationStatus end) {
    StateFiles.PartialFile file = partial;
    Path kept = stateCommitted || file == null ? target : file.path();
    if (state == null && qemuEndedTheConnection()) {
      MigrationWatcher w = watcher;
      return " QEMU is gone with the VM"
          + (w != null && w.eventsLost()
              ? ", and it sent more MIGRATION events than the save could hold"
              : "")
          + ", and nothing shows that the migration completed (migration "
          + (end != null ? end : "unknown")
          + "): "
          + kept
          + " was kept, as it may be the VM's only complete state. An operator must look: start"
          + " QEMU again with the same arguments plus -incoming defer and restore from "
          + kept
          + " (QEMU refuses to load an incomplete state); if it refuses, delete the file.";
    }
    return " Whether the migration completed is not known (run state "
        + (state != null ? state : "unknown")
        + ", migration "
        + (end != null ? end : "unknown")
        + "), so "
        + kept
        + " was kept and the VM left as it is. If QEMU reports the migration"
        + " completed (query-migrate) and the run state postmigrate, quit QEMU and restore from"
        + " that file; otherwise delete it.";
  }

  /**
   * Closes the state file kept after a completed migration, and leaves a manifest beside it only if
   * it describes it: the new one, moved into place now if the persist got as far as writing it,
   * else none (an older checkpoint's manifest would be wrong).
   */
  private void closeKeptStateFile() throws IOException {
    StateFiles.PartialFile file = partial;
    if (file != null) {
      file.close();
    }
    Path temp = manifestTemp;
    if (stateCommitted && !manifestCommitted) {
      if (temp != null) {
        try {
          Files.move(temp, manifestPath, StandardCopyOption.ATOMIC_MOVE);
          manifestCommitted = true;
          manifestTemp = null;
          StateFiles.fsyncDirectory(StateFiles.directoryOf(target));
          return;
        } catch (IOException e) {
          Files.deleteIfExists(temp);
          manifestTemp = null;
        }
      }
      if (Files.isRegularFile(manifestPath, LinkOption.NOFOLLOW_LINKS)) {
        Files.delete(manifestPath); // an older checkpoint's manifest, wrong for this state file
      }
    } else if (temp != null) {
      Files.deleteIfExists(temp);
      manifestTemp = null;
    }
  }

  private void deleteOwnFiles() throws IOException {
    StateFiles.PartialFile file = partial;
    if (file != null) {
      file.delete();
    }
    Path temp = manifestTemp;
    if (temp != null) {
      Files.deleteIfExists(temp);
    }
    // Once the VM runs again, a checkpoint of this save would pair old device state with newer
    // RAM: what this save renamed into place goes too.
    if (stateCommitted) {
      Files.deleteIfExists(target);
      Files.deleteIfExists(manifestPath);
    } else if (manifestCommitted) {
      Files.deleteIfExists(manifestPath);
    }
  }

  private void restoreRunState(RunState before, RunState now) {
    if (before.equals(RunState.RUNNING)) {
      if (now.equals(RunState.SUSPENDED) && suspendRequested) {
        wakeUp();
      } else if (now.equals(RunState.PAUSED)) {
        qmp.execute(new Cont(), ROLLBACK_COMMAND_TIMEOUT);
      }
    }
    // A paused VM stays paused, and a guest that was suspended before the save comes back
    // suspended from a failed migration. Postmigrate never gets here: it means the migration
    // completed, which the rollback handles on its own.
  }

  private void wakeUp() {
    WorkflowContext.wakeUp(qmp, () -> ROLLBACK_COMMAND_TIMEOUT, () -> ROLLBACK_COMMAND_TIMEOUT);
    VmStatus.settled(qmp, null, SETTLE_TIMEOUT);
  }
}

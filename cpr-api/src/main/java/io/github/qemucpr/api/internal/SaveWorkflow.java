package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprPreflightException;
import io.github.qemucpr.api.CprSaveException;
import io.github.qemucpr.api.CprSaveResult;
import io.github.qemucpr.api.PreflightReport;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.command.GuestSuspendRam;
import io.github.qemucpr.qmp.EventWait;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.command.AddFd;
import io.github.qemucpr.qmp.command.AddFdInfo;
import io.github.qemucpr.qmp.command.Cont;
import io.github.qemucpr.qmp.command.MigrateSetCapabilities;
import io.github.qemucpr.qmp.command.MigrateSetParameters;
import io.github.qemucpr.qmp.command.Migrate;
import io.github.qemucpr.qmp.command.MigrationCapability;
import io.github.qemucpr.qmp.command.MigrationInfo;
import io.github.qemucpr.qmp.command.MigrationMode;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.Quit;
import io.github.qemucpr.qmp.command.RemoveFd;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.command.RunStatus;
import io.github.qemucpr.qmp.command.SystemWakeup;
import io.github.qemucpr.qmp.event.SuspendEvent;
import io.github.qemucpr.qmp.event.WakeupEvent;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
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
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
  static final Duration ROLLBACK_COMMAND_TIMEOUT = Duration.ofSeconds(15);
  static final Duration CANCEL_TIMEOUT = Duration.ofSeconds(60);
  static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(10);
  static final Duration MIN_QUIT_TIMEOUT = Duration.ofSeconds(10);

  private final QmpClient qmp;
  private final SaveOptions options;
  private final Deadline deadline;
  private final Progress progress;
  private final Path target;
  private final Path manifestPath;

  // What the save has done so far, for the rollback.
  private boolean suspendRequested;
  private boolean suspendedByUs;
  private @Nullable Instant suspendedAt;
  private @Nullable MigrationMode modeToRestore;
  private final Map<MigrationCapability, Boolean> capabilitiesToRestore = new LinkedHashMap<>();
  private final Map<MigrationCapability, Boolean> capabilitiesUsed = new LinkedHashMap<>();
  private StateFiles.@Nullable PartialFile partial;
  private @Nullable Long fdset;
  private @Nullable CompletableFuture<?> fdsetRemoval;
  private @Nullable MigrationWatcher watcher;
  private boolean migrateSent;
  private boolean migrationCompleted;
  private boolean completedEventSeen;
  private @Nullable Path manifestTemp;
  private @Nullable SaveFacts facts;
  private boolean persistStarted;
  private boolean stateCommitted;
  private boolean manifestCommitted;

  private SaveWorkflow(QmpClient qmp, SaveOptions options) {
    this.qmp = qmp;
    this.options = options;
    this.deadline = new Deadline(options.timeout(), options.phaseTimeout());
    this.progress = new Progress(options.listener());
    this.target = options.target();
    this.manifestPath = CprManifest.pathFor(target);
  }

  /** The preflight alone; changes nothing. */
  public static PreflightReport check(QmpClient qmp, SaveOptions options) {
    try (ClientGuard guard = ClientGuard.acquire(qmp, "check")) {
      Deadline deadline = new Deadline(options.timeout(), options.phaseTimeout());
      return Preflight.run(qmp, options, deadline).report();
    }
  }

  /** The whole save. */
  public static CprSaveResult run(QmpClient qmp, SaveOptions options) {
    try (ClientGuard guard = ClientGuard.acquire(qmp, "save")) {
      return new SaveWorkflow(qmp, options).run();
    }
  }

  private CprSaveResult run() {
    progress.start(CprPhase.PREFLIGHT, "checking " + qmp.describePeer());
    SaveFacts f = Preflight.run(qmp, options, deadline);
    if (f.report().hasErrors()) {
      progress.failed(f.report().errors().size() + " error(s)");
      throw new CprPreflightException(f.report(), f.runState());
    }
    progress.finish(f.report().warnings().size() + " warning(s)");
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
        target, manifestPath, persisted.size, persisted.sha256, persisted.blackout,
        persisted.qemuDowntime, progress.durations(), progress.elapsed(),
        f.report().memorySavedInPlace(), suspendedByUs, before, quit, f.report());
  }

  private Duration commandTimeout() {
    return deadline.remaining(COMMAND_TIMEOUT);
  }

  private void startPhase(CprPhase phase, String message) {
    deadline.startPhase();
    progress.start(phase, message);
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
      suspendRequested = true;
      // The agent cannot answer from a suspended guest, so its client waits out a no-reply window
      // before it calls the command accepted. The SUSPEND event ends the wait sooner; an error
      // from the agent (suspend disabled or unsupported) ends it too.
      CompletableFuture<Void> sent = agent.executeAsync(new GuestSuspendRam(), limit);
      CompletableFuture<Object> first = new CompletableFuture<>();
      suspended.future().whenComplete((e, t) -> first.complete(e != null ? e
          : new StepFailure("waiting for QEMU's SUSPEND event failed: "
              + StepFailure.describe(unwrap(t)), unwrap(t))));
      sent.whenComplete((v, t) -> {
        if (t != null) {
          first.complete(unwrap(t));
        }
      });
      Object outcome;
      try {
        outcome = first.get(limit.toNanos(), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        throw new StepFailure(
            "the guest did not suspend within " + limit + " (no SUSPEND event): does qemu-ga"
                + " still run in the guest, and does the guest support S3 (q35: -global"
                + " ICH9-LPC.disable_s3=0)?",
            null, e);
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
      AddFdInfo added =
          qmp.execute(
              new AddFd(null, "qemu-cpr-java state file " + partialPath,
                  Objects.requireNonNull(partial).descriptor()),
              commandTimeout());
      fdset = added.fdsetId();
    }

    MigrationMode modeBefore = f.modeBefore() != null ? f.modeBefore() : MigrationMode.NORMAL;
    if (!MigrationMode.CPR_REBOOT.equals(f.modeBefore())) {
      modeToRestore = modeBefore; // recorded first: a command that times out may still apply
      qmp.execute(MigrateSetParameters.ofMode(MigrationMode.CPR_REBOOT), commandTimeout());
    }

    Map<MigrationCapability, Boolean> wanted = new LinkedHashMap<>();
    wanted.put(MigrationCapability.X_IGNORE_SHARED, f.ignoreShared());
    wanted.put(MigrationCapability.EVENTS, true);
    Map<MigrationCapability, Boolean> changes = new LinkedHashMap<>();
    wanted.forEach(
        (cap, on) -> {
          boolean current = Boolean.TRUE.equals(f.capabilities().get(cap));
          if (current != on) {
            changes.put(cap, on);
            capabilitiesToRestore.put(cap, current);
          }
        });
    capabilitiesUsed.putAll(f.capabilities());
    capabilitiesUsed.putAll(wanted);
    if (!changes.isEmpty()) {
      qmp.execute(MigrateSetCapabilities.of(changes), commandTimeout());
    }
    progress.finish("mode cpr-reboot, x-ignore-shared " + (f.ignoreShared() ? "on" : "off")
        + ", events on" + (fdset != null ? ", state file in fdset " + fdset : ""));
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
        status = w.awaitFinished(
            deadline.remaining(), e -> progress.progress("migration " + e.status())).status();
        completedEventSeen |= status.equals(MigrationStatus.COMPLETED);
      } catch (QmpTimeoutException e) {
        throw new StepFailure("the migration did not end within " + deadline.describe(), null, e);
      }
      // After a completed event, the run state is asked with the same round trip.
      Duration t = commandTimeout();
      CompletableFuture<MigrationInfo> query = qmp.executeAsync(new QueryMigrate(), t);
      CompletableFuture<RunStatus> runStatus =
          status.equals(MigrationStatus.COMPLETED)
              ? qmp.executeAsync(new QueryStatus(), t)
              : null;
      info = Pipelined.await(query);
      if (info.status().equals(MigrationStatus.COMPLETED)) {
        statusAfter = runStatus;
        break;
      }
      if (info.status().isFinished()) {
        throw new StepFailure(
            "the migration " + info.status() + (info.errorDesc() != null
                ? ": " + info.errorDesc() : " (event said " + status + ")"),
            info.errorDesc(), null);
      }
      // Still active: the event was not this migration's. Wait for the next one.
    }
    migrationCompleted = true;
    RunState state = VmStatus.settled(qmp, w, deadline.remaining(SETTLE_TIMEOUT), statusAfter);
    if (!state.equals(RunState.POSTMIGRATE)) {
      throw new StepFailure(
          "the migration completed, but the run state is " + state + ", not postmigrate", null,
          null);
    }
    startFdsetRemoval();
    progress.finish("completed, " + info.status() + (info.downtime() != null
        ? ", QEMU downtime " + info.downtime() + " ms" : ""));
    return info;
  }

  /**
   * Gives QEMU back the state file's fd set. The reply is awaited by {@link
   * #finishFdsetRemoval()}, after the persist's file steps, so that its round trip overlaps them.
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

  private record Persisted(long size, String sha256, Duration blackout,
      @Nullable Duration qemuDowntime) {}

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
    capabilitiesUsed.forEach((cap, on) -> {
      if (on) {
        capabilities.add(cap.wireName());
      }
    });
    List<CprManifest.RamBackend> backends = new ArrayList<>();
    f.backends().forEach(b -> backends.add(b.toManifest()));
    CprManifest manifest =
        new CprManifest(
            CprManifest.FORMAT_VERSION, f.version().toString(), MigrationMode.CPR_REBOOT.wireName(),
            capabilities, backends, f.report().memorySavedInPlace(), suspendedByUs, before,
            StateFiles.fileName(target), size, sha256, blackoutStart, Instant.now(), qemuDowntime,
            null, null);
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
    progress.finish(size + " bytes, sha256 " + sha256.substring(0, 12) + "…, blackout "
        + blackout.toMillis() + " ms");
    return new Persisted(size, sha256, blackout, qemuDowntime);
  }

  private void quit() {
    startPhase(CprPhase.QUIT, "quit");
    Duration limit = deadline.remaining();
    if (limit.compareTo(MIN_QUIT_TIMEOUT) < 0) {
      limit = MIN_QUIT_TIMEOUT; // the state is safe; do not fail the quit for want of time
    }
    try {
      try {
        qmp.execute(new Quit(), limit);
      } catch (QmpConnectionClosedException e) {
        // QEMU may close the connection before its reply
      }
      qmp.closeFuture().get(limit.toNanos(), TimeUnit.NANOSECONDS);
    } catch (QmpException | TimeoutException | ExecutionException e) {
      progress.failed(e.toString());
      throw new CprSaveException(
          "The state was saved to " + target + ", but QEMU did not quit: " + StepFailure.describe(e)
              + ". Do not resume this VM unless the checkpoint is thrown away;"
              + " quit QEMU and restore from the checkpoint instead.",
          CprPhase.QUIT, StepFailure.qemuErrorOf(e), RunState.POSTMIGRATE,
          VmRecovery.NEEDS_ATTENTION, true, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CprSaveException(
          "The state was saved to " + target + "; interrupted while waiting for QEMU to quit.",
          CprPhase.QUIT, null, null, VmRecovery.NEEDS_ATTENTION, true, e);
    }
    progress.finish("QEMU quit");
  }

  // ------------------------------------------------------------------ rollback

  /**
   * Undoes what the save did, in reverse: cancels the migration, gives QEMU back its fd set,
   * deletes the files the save created, sets the capabilities and the mode back, and brings the
   * VM back to its run state. Each step runs even when an earlier one failed; failures are added
   * to the returned exception as suppressed.
   */
  private CprSaveException rollback(Throwable failure, RunState before) {
    CprPhase phase = progress.current() != null ? progress.current() : CprPhase.PREPARE;
    progress.failed(StepFailure.describe(failure));
    boolean interrupted = Thread.interrupted(); // the rollback must still talk to QEMU
    List<Throwable> problems = new ArrayList<>();
    boolean keepStateFile = false;
    boolean checkpointSaved = false;
    String note = "";
    try {
      MigrationWatcher w = watcher;
      if (migrateSent) {
        step(problems, "cancel the migration", () -> cancelMigration(w));
      }
      finishFdsetRemoval();
      Long set = fdset;
      if (set != null) {
        step(problems, "remove-fd " + set,
            () -> qmp.execute(RemoveFd.set(set), ROLLBACK_COMMAND_TIMEOUT));
      }

      RunState state = null;
      try {
        state = VmStatus.settled(qmp, w, SETTLE_TIMEOUT);
      } catch (QmpException e) {
        problems.add(e);
      }
      // After a completed migration the state file may be the VM's only way back: when QEMU is
      // gone, or when the guest was suspended, since QEMU 10.0 aborts on 'cont' after a
      // completed migration of a suspended guest ("invalid runstate transition: 'postmigrate'
      // -> 'suspended'"). Then the file is kept, and the VM left as it is.
      boolean wasSuspended = suspendedByUs || before.equals(RunState.SUSPENDED);
      keepStateFile =
          (migrationCompleted || completedEventSeen)
              && (state == null || (state.equals(RunState.POSTMIGRATE) && wasSuspended));

      if (!keepStateFile) {
        if (!capabilitiesToRestore.isEmpty()) {
          step(problems, "migrate-set-capabilities " + capabilitiesToRestore,
              () -> qmp.execute(MigrateSetCapabilities.of(capabilitiesToRestore),
                  ROLLBACK_COMMAND_TIMEOUT));
        }
        MigrationMode mode = modeToRestore;
        if (mode != null) {
          step(problems, "migrate-set-parameters mode " + mode,
              () -> qmp.execute(MigrateSetParameters.ofMode(mode), ROLLBACK_COMMAND_TIMEOUT));
        }
        if (state != null) {
          RunState s = state;
          step(problems, "bring the VM back to " + before, () -> restoreRunState(before, s));
        }
        if (migrationCompleted && before.equals(RunState.RUNNING)) {
          try {
            keepStateFile =
                VmStatus.query(qmp, ROLLBACK_COMMAND_TIMEOUT).equals(RunState.POSTMIGRATE);
          } catch (QmpException e) {
            keepStateFile = true;
          }
        }
      }
      if (keepStateFile) {
        checkpointSaved = salvage(before);
        note = keptStateNote();
        if (!checkpointSaved) {
          step(problems, "keep the complete state file", this::closeKeptStateFile);
        }
      } else {
        step(problems, "delete the files of this save", this::deleteOwnFiles);
      }
    } catch (RuntimeException unexpected) {
      problems.add(unexpected);
    }
    RunState after = null;
    try {
      after = VmStatus.query(qmp, ROLLBACK_COMMAND_TIMEOUT);
    } catch (QmpException e) {
      problems.add(e);
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    boolean back = after != null && sameAsBefore(before, after);
    VmRecovery recovery =
        problems.isEmpty() && back && !keepStateFile
            ? VmRecovery.RESTORED
            : VmRecovery.NEEDS_ATTENTION;
    progress.rollback(phase, "VM " + (after != null ? after : "state unknown") + ", " + recovery
        + (problems.isEmpty() ? "" : ", " + problems.size() + " rollback step(s) failed"));
    CprSaveException e =
        new CprSaveException(
            "The save failed: " + StepFailure.sentence(StepFailure.describe(failure)) + note,
            phase, StepFailure.qemuErrorOf(failure), after, recovery, checkpointSaved, failure);
    problems.forEach(e::addSuppressed);
    return e;
  }

  /**
   * Persists the state file of a completed migration when the failure came before the persist
   * phase (QEMU killed right after {@code completed}, say): a checkpoint with its manifest rather
   * than a bare {@code .partial}. Returns whether that worked; if not, the {@code .partial} stays.
   */
  private boolean salvage(RunState before) {
    SaveFacts f = facts;
    StateFiles.PartialFile file = partial;
    if (f == null || file == null || persistStarted || !file.isStillAtPath()) {
      return false;
    }
    try {
      persist(f, before, null);
      return true;
    } catch (IOException | RuntimeException e) {
      progress.rollback(CprPhase.PERSIST,
          "FAILED to save the complete state as a checkpoint: " + e);
      return false;
    }
  }

  private String keptStateNote() {
    StateFiles.PartialFile file = partial;
    Path kept = stateCommitted || file == null ? target : file.path();
    return " The migration had completed and the VM cannot run again in this QEMU (QEMU is gone,"
        + " or the guest was suspended: QEMU 10.0 aborts on 'cont' after a completed migration of"
        + " a suspended guest), so its complete state was kept in " + kept
        + (manifestCommitted ? " with its manifest" : "") + ": start QEMU again"
        + " with -incoming defer and restore from that file.";
  }

  private void closeKeptStateFile() throws IOException {
    StateFiles.PartialFile file = partial;
    if (file != null) {
      file.close();
    }
    Path temp = manifestTemp;
    if (temp != null) {
      Files.deleteIfExists(temp);
    }
    if (stateCommitted && !manifestCommitted) {
      Files.deleteIfExists(manifestPath); // an older checkpoint's manifest, now wrong
    }
  }

  private interface Step {
    void run() throws Exception;
  }

  private void step(List<Throwable> problems, String what, Step step) {
    progress.rollbackStep(problems, what, step::run);
  }

  private void cancelMigration(@Nullable MigrationWatcher w) {
    MigrationWatcher.cancelIfActive(qmp, w, ROLLBACK_COMMAND_TIMEOUT, CANCEL_TIMEOUT);
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
      } else if (now.equals(RunState.PAUSED) || now.equals(RunState.POSTMIGRATE)) {
        qmp.execute(new Cont(), ROLLBACK_COMMAND_TIMEOUT);
      }
    }
    // A paused VM stays paused (postmigrate counts as paused: 'cont' works from both), and a
    // guest that was suspended before the save comes back suspended from a failed migration.
  }

  private void wakeUp() {
    try (EventWait<WakeupEvent> woke = qmp.expectEvent(WakeupEvent.class, e -> true)) {
      qmp.execute(new SystemWakeup(), ROLLBACK_COMMAND_TIMEOUT);
      woke.await(ROLLBACK_COMMAND_TIMEOUT);
    }
    VmStatus.settled(qmp, null, SETTLE_TIMEOUT);
  }

  /** Whether the run state after a rollback is the one before (paused and postmigrate alike). */
  static boolean sameAsBefore(RunState before, RunState after) {
    if (before.equals(after)) {
      return true;
    }
    return before.equals(RunState.PAUSED) && after.equals(RunState.POSTMIGRATE);
  }
}

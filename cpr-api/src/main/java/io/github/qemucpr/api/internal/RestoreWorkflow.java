package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprCheckpointException;
import io.github.qemucpr.api.CprCheckpointException.Reason;
import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprRestoreException;
import io.github.qemucpr.api.CprRestoreResult;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.qmp.EventWait;
import io.github.qemucpr.qmp.QemuVersion;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpCommandException;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.QmpInterruptedException;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.command.AddFd;
import io.github.qemucpr.qmp.command.AddFdInfo;
import io.github.qemucpr.qmp.command.FdsetInfo;
import io.github.qemucpr.qmp.command.MigrateIncoming;
import io.github.qemucpr.qmp.command.MigrateSetCapabilities;
import io.github.qemucpr.qmp.command.MigrateSetParameters;
import io.github.qemucpr.qmp.command.MigrationCapability;
import io.github.qemucpr.qmp.command.MigrationCapabilityStatus;
import io.github.qemucpr.qmp.command.MigrationInfo;
import io.github.qemucpr.qmp.command.MigrationMode;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.QueryFdsets;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.QueryMigrateCapabilities;
import io.github.qemucpr.qmp.command.QueryQmpSchema;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RemoveFd;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.command.RunStatus;
import io.github.qemucpr.qmp.event.MigrationEvent;
import io.github.qemucpr.qmp.event.ResumeEvent;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The restore state machine: verify, prepare, load, wake up, mark restored. Nothing is changed in
 * QEMU before the checkpoint is verified; only the prepare's queries, which change nothing, go out
 * while the state file is hashed. Not thread-safe; one instance runs once.
 */
public final class RestoreWorkflow {
  /**
   * How long, after the connection closed during the load, the events read before the close may
   * take to reach the workflow's waits (they queue behind the listeners' earlier events).
   */
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

  private final WorkflowContext ctx;
  private final QmpClient qmp;
  private final RestoreOptions options;
  private final Deadline deadline;
  private final Progress progress;
  private final Path source;
  private final Path manifestPath;

  private @Nullable CprManifest manifest;
  private @Nullable Queries queries;
  private @Nullable FileInputStream stateIn;
  private StateFiles.@Nullable CheckpointClaim claim;
  private boolean qemuChanged;
  private boolean restoreMarked;
  private boolean fdsetRemoved;

  private RestoreWorkflow(QmpClient qmp, RestoreOptions options) {
    this.ctx = new WorkflowContext(qmp, options);
    this.qmp = qmp;
    this.options = options;
    this.deadline = ctx.deadline;
    this.progress = ctx.progress;
    this.source = realPathOf(options.source());
    this.manifestPath = CprManifest.pathFor(source);
  }

  /**
   * Whether the manifest on disk is still the one this restore verified and marked (the same state
   * file digest and save time), so that marking it restored cannot overwrite another checkpoint's
   * manifest.
   */
  private boolean isStillOnDisk(CprManifest verified) {
    return ManifestCodec.read(manifestPath)
        .map(
            now ->
                now.stateFileSha256().equals(verified.stateFileSha256())
                    && now.savedAt().equals(verified.savedAt()))
        .orElse(false);
  }

  /**
   * The state file's real path, symlinks resolved: the manifest and the claim belong beside the
   * file itself, not beside a link to it, or a restore through a link would skip both. A path that
   * does not resolve (no such file) stays as given; the verification then says so.
   */
  private static Path realPathOf(Path source) {
    try {
      return source.toRealPath();
    } catch (IOException e) {
      return source.toAbsolutePath();
    }
  }

  /** The whole restore. */
  public static CprRestoreResult run(QmpClient qmp, RestoreOptions options) {
    // The guard is released on every way out, including a constructor that refuses the path.
    try (ClientGuard guard = ClientGuard.acquire(qmp, "restore")) {
      RestoreWorkflow w = new RestoreWorkflow(qmp, options);
      try {
        return w.run();
      } finally {
        try {
          w.closeStateFile();
        } finally {
          w.releaseClaim();
        }
      }
    }
  }

  private Duration commandTimeout() {
    return ctx.commandTimeout();
  }

  private void startPhase(CprPhase phase, String message) {
    ctx.startPhase(phase, message);
  }

  private CprRestoreResult run() {
    startPhase(CprPhase.VERIFY, "checking " + source);
    verify();

    RunState state;
    boolean woken = false;
    Instant runningSince = null;
    try {
      startPhase(CprPhase.PREPARE, "preparing " + qmp.describePeer());
      PreparedLoad load = prepare();
      startPhase(CprPhase.LOAD, "migrate-incoming from " + source);
      state = load(load);
      runningSince = load.watcher.firstResume();
      CprManifest m = manifest;
      boolean suspendedBySave = m == null || m.suspendedByUs();
      if (state.equals(RunState.SUSPENDED) && options.wakeUpAfterRestore() && suspendedBySave) {
        startPhase(CprPhase.WAKE_UP, "system_wakeup");
        runningSince = wakeUp();
        woken = true;
        state = VmStatus.query(qmp, commandTimeout());
        progress.finish("the guest runs");
      }
    } catch (CprRestoreException e) {
      throw e;
    } catch (RuntimeException | IOException e) {
      throw failure(e);
    }

    boolean markedRestored = false;
    CprManifest m = manifest;
    if (m != null) {
      startPhase(CprPhase.MARK_RESTORED, "marking " + manifestPath);
      try {
        if (isStillOnDisk(m)) {
          ManifestCodec.write(manifestPath, ManifestCodec.withRestored(m, Instant.now()));
          markedRestored = true;
          progress.finish("restored");
        } else {
          // A save wrote a new checkpoint to this path while the VM loaded (the restore read the
          // old one through its open descriptor). Its manifest is the new checkpoint's: left as it
          // is, and the result says that this restore's mark was not written.
          progress.failed(
              manifestPath
                  + " now describes another checkpoint (saved while this restore loaded): left"
                  + " as it is, and not marked restored");
        }
      } catch (IOException | RuntimeException e) {
        // The VM runs; the "restore started" mark already keeps the checkpoint from a second use.
        // The result says that the mark is missing; the run itself succeeded.
        progress.failed(
            "could not mark "
                + manifestPath
                + " restored (its \"restore started\""
                + " mark still keeps the checkpoint from a second restore): "
                + e);
      }
    }
    Duration outage = null;
    if (m != null
        && m.blackoutStartedAt() != null
        && runningSince != null
        && state.equals(RunState.RUNNING)) {
      outage = Duration.between(Objects.requireNonNull(m.blackoutStartedAt()), runningSince);
    }
    return CprRestoreResult.builder()
        .stateFile(source)
        .manifestFile(m != null ? manifestPath : null)
        .markedRestored(markedRestored)
        .runState(state)
        .wokenUp(woken)
        .phaseDurations(progress.durations())
        .total(progress.elapsed())
        .outage(outage)
        .build();
  }

  // ------------------------------------------------------------------ verify

  private void verify() {
    if (!Files.isRegularFile(source)) {
      throw checkpoint(
          "The state file " + source + " does not exist or is not a regular file.",
          Reason.MISSING,
          null);
    }
    FileInputStream in;
    try {
      in = StateFiles.openForRestore(source);
    } catch (IOException e) {
      throw checkpoint(
          "The state file " + source + " cannot be opened: " + e.getMessage(), Reason.MISSING, e);
    }
    stateIn = in;
    // Claimed with or without a manifest: a checkpoint without one (from another tool, or whose
    // manifest was moved away) is loaded onto the same shared RAM all the same.
    claimCheckpoint();
    CprManifest m;
    try {
      m = ManifestCodec.read(manifestPath).orElse(null);
    } catch (IllegalArgumentException | UncheckedIOException e) {
      throw checkpoint(
          "The manifest "
              + manifestPath
              + " cannot be used: "
              + e.getMessage()
              + ". Move it away to restore without verification.",
          Reason.MANIFEST_UNREADABLE,
          e);
    }
    if (m == null) {
      progress.finish("no manifest " + manifestPath + ": the state file cannot be verified");
      return;
    }
    if (!MigrationMode.CPR_REBOOT.wireName().equals(m.mode())) {
      throw checkpoint(
          "The manifest says mode " + m.mode() + "; only cpr-reboot is supported.",
          Reason.MANIFEST_UNREADABLE,
          null);
    }
    // The size first: a truncated file is refused before anything is sent.
    FileChannel channel = in.getChannel();
    try {
      long size = channel.size();
      if (size != m.stateFileSize()) {
        throw checkpoint(
            "The state file "
                + source
                + " has "
                + size
                + " bytes; its manifest says "
                + m.stateFileSize()
                + (size < m.stateFileSize() ? " (truncated)." : "."),
            Reason.TAMPERED,
            null);
      }
    } catch (IOException e) {
      throw checkpoint(
          "The state file " + source + " cannot be read: " + e.getMessage(), Reason.MISSING, e);
    }
    if (m.restored() && !options.force()) {
      throw checkpoint(
          "The checkpoint "
              + source
              + " was restored already at "
              + m.restoredAt()
              + "; restoring it again would pair its device state with RAM and disks that have moved"
              + " on. Use force(true) only if the VM never ran from that restore.",
          Reason.ALREADY_RESTORED,
          null);
    }
    if (m.restoreStartedAt() != null && !m.restored() && !options.force()) {
      throw checkpoint(
          "A restore of "
              + source
              + " started at "
              + m.restoreStartedAt()
              + " and did not finish; the VM may have run from it. Use force(true) only if it did"
              + " not.",
          Reason.RESTORE_INTERRUPTED,
          null);
    }
    checkRamFiles(m);
    // Every check but the digest passed. The prepare's queries change nothing: QEMU answers them
    // while the file is hashed, which the VM, down, would otherwise wait for one after the other.
    queries = sendQueries(m);
    // Hash the very descriptor that QEMU will read, so that nothing can change in between.
    try {
      String sha = StateFiles.sha256(channel);
      if (!sha.equals(m.stateFileSha256())) {
        throw checkpoint(
            "The state file "
                + source
                + " has SHA-256 "
                + sha
                + "; its manifest says "
                + m.stateFileSha256()
                + ".",
            Reason.TAMPERED,
            null);
      }
    } catch (IOException e) {
      throw checkpoint(
          "The state file " + source + " cannot be read: " + e.getMessage(), Reason.MISSING, e);
    }
    manifest = m;
    progress.finish("size and SHA-256 match " + manifestPath);
  }

  /**
   * Refuses a checkpoint whose RAM, kept in place, is no longer in the file the save left: a file
   * deleted and created again at the same path (zero-filled), or one on tmpfs after a host reboot,
   * passes the comparison of the mem-path strings, and the guest would resume on zeroed memory.
   */
  private void checkRamFiles(CprManifest m) {
    String bootId = MemoryInspector.hostBootId();
    List<String> problems = new ArrayList<>();
    boolean unrecorded = false;
    for (CprManifest.RamBackend b : m.memoryBackends()) {
      String memPath = b.memPath();
      CprManifest.RamFile file = b.file();
      if (!b.savedInPlace() || memPath == null) {
        continue;
      }
      if (file == null) {
        unrecorded = true;
        continue;
      }
      String why = MemoryInspector.differences(file, memPath, bootId);
      if (why != null) {
        problems.add("backend " + b.id() + ": " + why);
      }
    }
    if (!problems.isEmpty()) {
      throw checkpoint(
          "The guest's RAM is not where the save left it: "
              + String.join("; ", problems)
              + ". Loading the saved device state onto other memory"
              + " would run the guest on RAM it never had. Boot the VM afresh instead; only if you"
              + " know that the file holds the saved RAM (a copy put back), move the manifest "
              + manifestPath
              + " away to restore without verification.",
          Reason.MEMORY_FILE_REPLACED,
          null);
    }
    if (unrecorded) {
      progress.progress(
          "the manifest does not record the identity of the RAM file (an older"
              + " save): only its mem-path is compared");
    }
  }

  /**
   * Claims the checkpoint for this restore until it ends, so that of two restores started together
   * exactly one goes on; the other is refused here, before it reads the manifest's marks and before
   * it sends QEMU anything. Held to the end, not only until the "restore started" mark: a second
   * restore while this one loads is told that one runs, not that one was interrupted.
   */
  private void claimCheckpoint() {
    Path lock = StateFiles.lockPath(source);
    try {
      claim = StateFiles.claim(source);
    } catch (StateFiles.NotARegularFileException e) {
      throw checkpoint(
          "The restore cannot claim the checkpoint "
              + source
              + ": "
              + e.getMessage()
              + ", which the restore does not open (a FIFO would block it). Remove "
              + e.path()
              + " and restore again; this QEMU was not touched.",
          Reason.LOCK_FILE_UNUSABLE,
          e);
    } catch (IOException e) {
      String message =
          "The restore cannot claim the checkpoint "
              + source
              + ": "
              + lock
              + " cannot be created or locked ("
              + e
              + "). A restore needs write access beside the"
              + " state file, where it claims the checkpoint and marks the manifest.";
      progress.failed(message);
      throw new CprRestoreException(message, CprPhase.VERIFY, null, null, VmRecovery.UNTOUCHED, e);
    }
    if (claim == null) {
      throw checkpoint(
          "The checkpoint "
              + source
              + " is being restored by another restore (it"
              + " holds the lock on "
              + lock
              + "); only one restore may load it. This QEMU was not"
              + " touched. Wait for the other restore to end: if it fails before loading, restore"
              + " again.",
          Reason.RESTORE_IN_PROGRESS,
          null);
    }
  }

  private void releaseClaim() {
    StateFiles.CheckpointClaim c = claim;
    claim = null;
    if (c != null) {
      c.close();
    }
  }

  private CprCheckpointException checkpoint(String message, Reason reason, @Nullable Throwable c) {
    progress.failed(message);
    return new CprCheckpointException(message, reason, source, c);
  }

  // ------------------------------------------------------------------ prepare

  private record PreparedLoad(
      MigrateIncoming command, MigrationWatcher watcher, @Nullable Long fdset) {}

  /**
   * The prepare's queries, sent together; each is awaited where its answer is checked. The mode is
   * not among them: the prepare sets it either way.
   */
  private record Queries(
      CompletableFuture<RunStatus> status,
      CompletableFuture<MigrationInfo> migration,
      CompletableFuture<List<MigrationCapabilityStatus>> capabilities,
      MemoryInspector.Inspection memory) {}

  /**
   * Sends the prepare's queries at once, so their round trips overlap, without waiting for any
   * reply; they change nothing. {@code query-memdev} goes with them, and with a manifest the QOM
   * reads of the backends it names too ({@code type} and {@code mem-path}, which the restore
   * compares; not {@code discard-data}, which it does not).
   */
  private Queries sendQueries(@Nullable CprManifest m) {
    Duration t = commandTimeout();
    CompletableFuture<RunStatus> status = qmp.executeAsync(new QueryStatus(), t);
    CompletableFuture<MigrationInfo> migration = qmp.executeAsync(new QueryMigrate(), t);
    CompletableFuture<List<MigrationCapabilityStatus>> capabilities =
        qmp.executeAsync(new QueryMigrateCapabilities(), t);
    MemoryInspector.Inspection memory =
        MemoryInspector.send(
            qmp,
            this::commandTimeout,
            m == null
                ? List.of()
                : m.memoryBackends().stream().map(CprManifest.RamBackend::id).toList());
    return new Queries(status, migration, capabilities, memory);
  }

  private PreparedLoad prepare() throws IOException {
    // Sent by the verification while it hashed the state file, or now (no manifest).
    CprManifest m = manifest;
    Queries sent = queries;
    Queries q = sent != null ? sent : sendQueries(m);
    CompletableFuture<MigrationInfo> migration = q.migration();
    CompletableFuture<List<MigrationCapabilityStatus>> capabilities = q.capabilities();
    MemoryInspector.Inspection memory = q.memory();
    RunState state = Pipelined.await(q.status()).status();
    if (!state.equals(RunState.INMIGRATE)) {
      throw refuse(
          "QEMU is "
              + state
              + ", not inmigrate: start the new QEMU with the same"
              + " arguments as the saved one plus -incoming defer, and restore into it.",
          state);
    }
    MigrationInfo info = Pipelined.await(migration);
    if (!info.status().equals(MigrationStatus.NONE)) {
      throw refuse(
          "this QEMU's incoming migration has started already (status "
              + info.status()
              + "); start a new QEMU with -incoming defer.",
          state);
    }

    List<MemoryInspector.Backend> backends = memory.result();
    if (m != null) {
      checkSameMemory(m, backends, state);
    }
    Set<String> wanted = new LinkedHashSet<>();
    if (m != null) {
      wanted.addAll(m.capabilities());
    } else if (backends.stream().anyMatch(MemoryInspector.Backend::savedInPlace)) {
      wanted.add(MigrationCapability.X_IGNORE_SHARED.wireName());
    }
    wanted.add(MigrationCapability.EVENTS.wireName());

    Map<MigrationCapability, Boolean> changes = new LinkedHashMap<>();
    Set<String> known = new LinkedHashSet<>();
    List<MigrationCapabilityStatus> current = Pipelined.await(capabilities);
    for (MigrationCapabilityStatus c : current) {
      known.add(c.capability().wireName());
      boolean on = wanted.contains(c.capability().wireName());
      if (c.state() != on) {
        changes.put(c.capability(), on);
      }
    }
    for (String w : wanted) {
      if (!known.contains(w)) {
        throw refuse(
            "the save used the migration capability " + w + ", which this QEMU does not" + " have.",
            state);
      }
    }
    QemuVersion version = qmp.greeting().version();
    boolean exitOnError = supportsExitOnError(version);

    MigrationMode mode = m != null ? MigrationMode.of(m.mode()) : MigrationMode.CPR_REBOOT;

    // Every check passed. Send the changes at once, and mark the manifest while they are on their
    // way: the mark must be on disk before migrate-incoming, and the fsync overlaps the round trip.
    FileDescriptor stateFd =
        options.passFileDescriptor() ? Objects.requireNonNull(stateIn).getFD() : null;
    qemuChanged = true;
    Duration w = commandTimeout();
    // The mode is set without asking it first: setting the mode it has already changes nothing.
    CompletableFuture<?> modeSet = qmp.executeAsync(MigrateSetParameters.ofMode(mode), w);
    CompletableFuture<?> capabilitiesSet =
        changes.isEmpty() ? null : qmp.executeAsync(MigrateSetCapabilities.of(changes), w);
    CompletableFuture<AddFdInfo> fdAdded =
        stateFd == null ? null : qmp.executeAsync(new AddFd(null, fdsetNote(), stateFd), w);
    Long fdset = awaitChanges(markRestoreStarted(), modeSet, capabilitiesSet, fdAdded);
    try {
      MigrateIncoming command =
          fdset != null
              ? MigrateIncoming.fromFile("/dev/fdset/" + fdset, 0)
              : MigrateIncoming.fromFile(source);
      if (exitOnError) {
        command = command.withExitOnError(false);
      }
      progress.finish(
          "mode "
              + mode
              + ", capabilities "
              + wanted
              + (exitOnError
                  ? ", exit-on-error false"
                  : ", QEMU " + version + " exits on a failed load"));
      return new PreparedLoad(command, new MigrationWatcher(qmp), fdset);
    } catch (RuntimeException e) {
      takeBack(fdset, e);
      throw e;
    }
  }

  /**
   * Writes the manifest's "restore started" mark, if there is a manifest; a failure is returned,
   * not thrown, so that the changes on their way are awaited first.
   */
  private @Nullable Exception markRestoreStarted() {
    CprManifest m = manifest;
    if (m == null) {
      return null;
    }
    try {
      CprManifest started = ManifestCodec.withRestoreStarted(m, Instant.now());
      ManifestCodec.write(manifestPath, started);
      manifest = started;
      restoreMarked = true;
      return null;
    } catch (IOException | RuntimeException e) {
      return e;
    }
  }

  /**
   * Waits for every change sent together, then throws the first failure in the order they were sent
   * (then {@code markFailure}). On a failure, it removes the fd set that {@code add-fd} did create
   * and takes back the mark: nothing was loaded.
   *
   * @return the fd set that holds the state file, or {@code null} when none was added
   */
  private @Nullable Long awaitChanges(
      @Nullable Exception markFailure,
      @Nullable CompletableFuture<?> modeSet,
      @Nullable CompletableFuture<?> capabilitiesSet,
      @Nullable CompletableFuture<AddFdInfo> fdAdded)
      throws IOException {
    List<CompletableFuture<?>> sent =
        Stream.<@Nullable CompletableFuture<?>>of(modeSet, capabilitiesSet, fdAdded)
            .filter(Objects::nonNull)
            .toList();
    try {
      // Every one is awaited, so that add-fd's outcome is known; the first failure is reported.
      RuntimeException first = null;
      for (CompletableFuture<?> f : sent) {
        try {
          Pipelined.await(f);
        } catch (RuntimeException e) {
          first = first != null ? first : e;
        }
      }
      if (first != null) {
        throw first;
      }
      if (markFailure instanceof IOException io) {
        throw io;
      }
      if (markFailure instanceof RuntimeException re) {
        throw re;
      }
      return fdAdded == null ? null : Pipelined.await(fdAdded).fdsetId();
    } catch (IOException | RuntimeException e) {
      if (markFailure != null && markFailure != e) {
        e.addSuppressed(markFailure);
      }
      Long addedSet = null;
      if (fdAdded != null) {
        if (fdAdded.isDone() && !fdAdded.isCompletedExceptionally()) {
          addedSet = fdAdded.join().fdsetId();
        } else if (addFdMayHaveRun(fdAdded)) {
          removeOurFdsets();
        }
      }
      takeBack(addedSet, e);
      throw e;
    }
  }

  /**
   * Whether an {@code add-fd} without a reply may still have been carried out: it timed out (QEMU
   * may run it later, and drops the reply), or the wait for it was interrupted.
   */
  private static boolean addFdMayHaveRun(CompletableFuture<AddFdInfo> fdAdded) {
    if (!fdAdded.isDone() || fdAdded.isCancelled()) {
      return true;
    }
    try {
      fdAdded.join();
      return false;
    } catch (CompletionException | CancellationException e) {
      Throwable cause = e.getCause();
      return cause instanceof QmpTimeoutException || cause instanceof QmpInterruptedException;
    }
  }

  /**
   * Removes every fd set that holds this restore's state file, found by the note {@code add-fd}
   * gave it: for an {@code add-fd} whose reply never came, so its set is unknown. QEMU runs
   * commands in order, so {@code query-fdsets} answers after a late {@code add-fd} has run.
   */
  private void removeOurFdsets() {
    if (qmp.closeFuture().isDone()) {
      return;
    }
    try {
      for (FdsetInfo set : qmp.execute(new QueryFdsets(), WorkflowTimeouts.ROLLBACK_COMMAND)) {
        if (set.fds().stream().anyMatch(fd -> fdsetNote().equals(fd.opaque()))) {
          qmp.execute(RemoveFd.set(set.fdsetId()), WorkflowTimeouts.ROLLBACK_COMMAND);
          progress.progress(
              "removed fd set " + set.fdsetId() + ", added by an add-fd that timed" + " out");
        }
      }
    } catch (QmpException e) {
      progress.progress("could not look for the fd set of an add-fd that timed out: " + e);
    }
  }

  private String fdsetNote() {
    return "qemu-cpr-java state file " + source;
  }

  /** After a failed prepare: removes the fd set, if one was added, and takes back the mark. */
  private void takeBack(@Nullable Long fdset, Exception failure) {
    removeFdset(fdset);
    takeBackMark(failure);
  }

  private void checkSameMemory(
      CprManifest m, List<MemoryInspector.Backend> backends, RunState state) {
    List<String> problems = new ArrayList<>();
    for (CprManifest.RamBackend saved : m.memoryBackends()) {
      Optional<MemoryInspector.Backend> now =
          backends.stream().filter(b -> saved.id().equals(b.id())).findFirst();
      if (now.isEmpty()) {
        problems.add("backend " + saved.id() + " is missing");
        continue;
      }
      MemoryInspector.Backend b = now.get();
      if (b.size() != saved.size()) {
        problems.add("backend " + saved.id() + " has " + b.size() + " bytes, not " + saved.size());
      }
      if (saved.savedInPlace()
          && (!b.savedInPlace() || !Objects.equals(saved.memPath(), b.memPath()))) {
        problems.add(
            "backend "
                + saved.id()
                + " must be memory-backend-file,share=on,mem-path="
                + saved.memPath()
                + " (it holds the RAM), but is "
                + b.type()
                + " share="
                + b.share()
                + " mem-path="
                + b.memPath());
      }
    }
    if (!problems.isEmpty()) {
      throw refuse(
          "this QEMU was not started with the saved VM's memory: "
              + String.join("; ", problems)
              + ".",
          state);
    }
  }

  private boolean supportsExitOnError(QemuVersion version) {
    if (version.isAtLeast(9, 1)) {
      // migrate-incoming has had exit-on-error since 9.1; the schema costs tens of milliseconds
      // to build, and the VM is down while we wait for it.
      return true;
    }
    try {
      return qmp.execute(new QueryQmpSchema(), commandTimeout())
          .hasArgument("migrate-incoming", "exit-on-error");
    } catch (QmpException e) {
      return false;
    }
  }

  private CprRestoreException refuse(String message, @Nullable RunState state) {
    progress.failed(message);
    return new CprRestoreException(
        "The restore was refused: " + message,
        CprPhase.PREPARE,
        null,
        state,
        VmRecovery.UNTOUCHED,
        null);
  }

  // ------------------------------------------------------------------ load

  private RunState load(PreparedLoad load) {
    MigrationWatcher w = load.watcher;
    // Event waits, unlike listeners, see every event, and see it before the connection's close
    // fails them: after a close they tell for certain whether QEMU ran the VM or finished the
    // load before it went away. Registered before migrate-incoming, so nothing can slip by.
    try (EventWait<ResumeEvent> resumed = qmp.expectEvent(ResumeEvent.class, e -> true);
        EventWait<MigrationEvent> completed =
            qmp.expectEvent(
                MigrationEvent.class, e -> e.status().equals(MigrationStatus.COMPLETED))) {
      boolean completedSeen = false;
      try {
        try {
          qmp.execute(load.command, commandTimeout());
        } catch (QmpCommandException e) {
          takeBackMark(e); // QEMU refused the command: nothing was loaded
          throw e;
        }
        MigrationInfo info;
        while (true) {
          try {
            completedSeen |=
                w.awaitFinished(
                        deadline.remaining(), e -> progress.progress("migration " + e.status()))
                    .status()
                    .equals(MigrationStatus.COMPLETED);
          } catch (QmpTimeoutException e) {
            throw new StepFailure("the load did not end within " + deadline.describe(), null, e);
          }
          info = qmp.execute(new QueryMigrate(), commandTimeout());
          if (info.status().equals(MigrationStatus.COMPLETED)) {
            break;
          }
          if (info.status().isFinished()) {
            loadFailed(info);
          }
        }
      } catch (QmpConnectionClosedException e) {
        // QEMU went away. QEMU sends RESUME before it lets the vCPUs run, and MIGRATION completed
        // after; every event sent before the connection closed has been read. With neither seen,
        // the VM never ran from this checkpoint, and it may be restored again as it is. The waits
        // tell it, once the events read before the close have reached them; a user's listener
        // that holds the event thread beyond the grace leaves it unknown, and the mark stays.
        if (!completedSeen && endedWithoutEvents(resumed, completed)) {
          takeBackMark(e);
        }
        throw e;
      }
      removeFdset(load.fdset);
      closeStateFile();
      RunState state = VmStatus.settled(qmp, w, deadline.remaining(WorkflowTimeouts.SETTLE));
      progress.finish("completed, the VM is " + state);
      return state;
    } finally {
      w.close();
      removeFdset(load.fdset); // after a failed load too: the fd set holds the state file open
    }
  }

  /**
   * Whether both waits ended because the connection closed, without their event: then QEMU neither
   * ran the VM nor completed the load. {@code false} when either event came, and when that is not
   * known within {@link #CLOSE_GRACE}.
   */
  private static boolean endedWithoutEvents(EventWait<?>... waits) {
    long end = System.nanoTime() + CLOSE_GRACE.toNanos();
    for (EventWait<?> wait : waits) {
      try {
        wait.future().get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        return false; // the event came
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof QmpConnectionClosedException)) {
          return false;
        }
      } catch (TimeoutException | CancellationException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /**
   * Takes back the "restore started" mark after a failure that proves nothing was loaded. If the
   * manifest cannot be written, the mark stays (the failure's hint then says so) and the write's
   * error is added to {@code failure}: QEMU's own error stays the one reported.
   */
  private void takeBackMark(Exception failure) {
    try {
      unmarkRestoreStarted();
    } catch (IOException | RuntimeException e) {
      failure.addSuppressed(e);
      progress.progress(
          "could not take back the \"restore started\" mark of " + manifestPath + ": " + e);
    }
  }

  private void removeFdset(@Nullable Long set) {
    if (set == null || fdsetRemoved || qmp.closeFuture().isDone()) {
      return;
    }
    fdsetRemoved = true;
    try {
      qmp.execute(RemoveFd.set(set), WorkflowTimeouts.ROLLBACK_COMMAND);
    } catch (QmpException e) {
      progress.progress("remove-fd " + set + " failed (harmless): " + e);
    }
  }

  /** Takes back the "restore started" mark, once it is certain that the VM never ran from it. */
  private void unmarkRestoreStarted() throws IOException {
    CprManifest m = manifest;
    if (m != null && restoreMarked) {
      CprManifest unmarked = ManifestCodec.withRestoreStarted(m, null);
      ManifestCodec.write(manifestPath, unmarked);
      manifest = unmarked;
      restoreMarked = false;
    }
  }

  private void loadFailed(MigrationInfo info) {
    StepFailure failure =
        new StepFailure(
            "QEMU could not load "
                + source
                + " (migration "
                + info.status()
                + ")"
                + (info.errorDesc() != null ? ": " + info.errorDesc() : ""),
            info.errorDesc(),
            null);
    takeBackMark(failure); // a failed load never starts the VM
    throw failure;
  }

  private Instant wakeUp() {
    return WorkflowContext.wakeUp(qmp, this::commandTimeout, this::commandTimeout);
  }

  private CprRestoreException failure(Exception e) {
    Rollback rollback = new Rollback(progress, e);
    RunState state;
    try {
      state = rollback.query(qmp);
    } finally {
      rollback.end();
    }
    rollback.suppressInto(e); // a failed query-status, under the failure it follows
    String hint =
        restoreMarked
            ? " The manifest keeps a \"restore started\" mark: if the VM never ran, restore again"
                + " with force(true) into a new QEMU."
            : qemuChanged ? " Start a new QEMU with -incoming defer to try again." : "";
    return new CprRestoreException(
        "The restore failed: "
            + WorkflowContext.failureSentence(
                qmp,
                e,
                "restore",
                "the VM is in the QEMU at "
                    + qmp.describePeer()
                    + ", which may still load or run it: connect a new client and ask it"
                    + " (query-status, query-migrate).")
            + hint,
        rollback.phase(),
        StepFailure.qemuErrorOf(e),
        state,
        qemuChanged ? VmRecovery.NEEDS_ATTENTION : VmRecovery.UNTOUCHED,
        e);
  }

  private void closeStateFile() {
    FileInputStream in = stateIn;
    stateIn = null;
    if (in != null) {
      try {
        in.close();
      } catch (IOException e) {
        // read-only: nothing lost
      }
    }
  }
}

package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprExecException;
import io.github.qemucpr.api.CprExecException.VmLocation;
import io.github.qemucpr.api.CprExecResult;
import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.PreflightReport;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.api.internal.cmdline.QemuArgs;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qmp.EventWait;
import io.github.qemucpr.qmp.QemuVersion;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpCommandException;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.QmpProtocolException;
import io.github.qemucpr.qmp.QmpReconnection;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.command.AddFd;
import io.github.qemucpr.qmp.command.AddFdInfo;
import io.github.qemucpr.qmp.command.Cont;
import io.github.qemucpr.qmp.command.Migrate;
import io.github.qemucpr.qmp.command.MigrateSetParameters;
import io.github.qemucpr.qmp.command.MigrationCapability;
import io.github.qemucpr.qmp.command.MigrationInfo;
import io.github.qemucpr.qmp.command.MigrationMode;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.RemoveFd;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.event.MigrationEvent;
import io.github.qemucpr.qmp.event.SuspendEvent;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The cpr-exec state machine: preflight, prepare, migrate to the state file, the exec and the
 * reconnection, and the load in the new QEMU. Not thread-safe; one instance runs once.
 *
 * <p>What QEMU 11.1 does, checked here: {@code migrate} gives setup, STOP, active, device,
 * completed; then QEMU executes {@code cpr-exec-command} in the same process and the monitor
 * connection closes (within milliseconds); the new QEMU's monitor answers on the same socket about
 * 100 ms later, with the load under way or done, and {@code RESUME} follows. When {@code execvp}
 * fails, the old QEMU reports the migration {@code failed} just after {@code completed} ({@code
 * error-desc} "execvp ... failed: ..."), resumes the VM, and its monitor stays. When the new
 * program exits, or the new QEMU cannot load the state (it exits on a failed {@code -incoming} from
 * its command line), the process is gone.
 */
public final class ExecWorkflow {
  private static final Duration POLL_INTERVAL = Duration.ofMillis(10);

  /** How long a guest may take to suspend after {@code guest-suspend-ram} (about 0.1 s here). */
  private static final Duration SUSPEND_TIMEOUT = Duration.ofSeconds(30);

  /** How long a rollback looks for a suspend that landed late. */
  private static final Duration SUSPEND_SETTLE = Duration.ofSeconds(2);

  /** How long one round of reconnecting lasts before the process is looked at again. */
  private static final Duration RECONNECT_ROUND = Duration.ofMillis(200);

  /**
   * How long a rollback after {@code migrate} waits to learn whether QEMU executes the new command
   * line (its monitor closes) or not (the migration fails).
   */
  private static final Duration EXEC_SETTLE = Duration.ofSeconds(10);

  /** How long one {@code query-migrate} of that wait may take. */
  private static final Duration SETTLE_QUERY = Duration.ofSeconds(1);

  /** The least time the rollback waits for an exec or a failure, even past the overall deadline. */
  private static final Duration MIN_EXEC_SETTLE = Duration.ofSeconds(3);

  /** What a rollback learned about the exec after {@code migrate} was sent. */
  private enum ExecSeen {
    /** The exec did not and will not happen: no migrate, or it failed or was cancelled. */
    NOT_EXECUTED,
    /** The monitor closed: QEMU executed the new command line (or died). */
    EXECUTED,
    /** Neither within the wait: QEMU may still execute. */
    UNDECIDED
  }

  /** How long a rollback tries to reach a monitor that restarted. */
  private static final Duration ROLLBACK_RECONNECT = Duration.ofSeconds(10);

  private static final Set<RunState> HOLDS_VM =
      Set.of(RunState.RUNNING, RunState.PAUSED, RunState.SUSPENDED);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final WorkflowContext ctx;
  private final QmpClient qmp;
  private final ExecOptions options;
  private final Function<QmpClient, OptionalLong> peerProcessId;
  private final Deadline deadline;
  private final Progress progress;
  private final ChangeLog changes;

  // What the exec has done so far, for the rollback.
  private @Nullable Long pid;
  private boolean suspendSent;
  private @Nullable Instant suspendedAt;
  private StateFiles.@Nullable PartialFile stateFile;
  private @Nullable Long fdset;
  private boolean addFdUnanswered;
  private @Nullable MigrationWatcher watcher;
  private boolean migrateSent;
  private boolean migrateRefused;
  private boolean migrationCompleted;
  private boolean execFailed;
  private @Nullable QmpClient client;
  private @Nullable MigrationWatcher newWatcher;
  private @Nullable Duration monitorGap;
  private @Nullable Instant seenRunningAt;
  // What the rollback found after the exec.
  private @Nullable RunState vmStateAfterExec;
  private boolean incomingCompletedAfterExec;

  private ExecWorkflow(
      QmpClient qmp, ExecOptions options, Function<QmpClient, OptionalLong> peerProcessId) {
    this.ctx = new WorkflowContext(qmp, options);
    this.qmp = qmp;
    this.options = options;
    this.peerProcessId = peerProcessId;
    this.deadline = ctx.deadline;
    this.progress = ctx.progress;
    this.changes = new ChangeLog(qmp);
  }

  /** The preflight alone; changes nothing. */
  public static PreflightReport check(QmpClient qmp, ExecOptions options) {
    return WorkflowContext.check(qmp, options, (q, o, d) -> ExecPreflight.run(q, o, d).report());
  }

  /** The whole exec. */
  public static CprExecResult run(QmpClient qmp, ExecOptions options) {
    return run(qmp, options, QmpClient::peerProcessId);
  }

  /**
   * The whole exec, with the process id of each new connection's peer read by {@code
   * peerProcessId}: the kernel's peer credentials, which a test cannot make empty on a real socket
   * (a listener's pid is visible from this process's pid namespace, and a dead one's stays).
   */
  static CprExecResult run(
      QmpClient qmp, ExecOptions options, Function<QmpClient, OptionalLong> peerProcessId) {
    try (ClientGuard guard = ClientGuard.acquire(qmp, "exec")) {
      return new ExecWorkflow(qmp, options, peerProcessId).run();
    }
  }

  /** The command line QEMU executes: the caller's, plus the load of the state file. */
  static List<String> execCommand(List<String> newCommand, Path stateFile) {
    ObjectNode channel = JSON.createObjectNode();
    channel.put("channel-type", "main");
    ObjectNode addr = channel.putObject("addr");
    addr.put("transport", "file");
    addr.put("filename", stateFile.toString());
    addr.put("offset", 0);
    List<String> argv = new ArrayList<>(newCommand);
    argv.add("-incoming");
    argv.add(JSON.writeValueAsString(channel));
    return argv;
  }

  private record Outcome(RunState state, QemuVersion version, Duration blackout, boolean exact) {}

  private CprExecResult run() {
    ExecFacts f =
        ctx.preflight(
            () -> ExecPreflight.run(qmp, options, deadline),
            ExecFacts::report,
            ExecFacts::runState);
    RunState before = Objects.requireNonNull(f.runState(), "checked by the preflight");
    pid = Objects.requireNonNull(f.processId(), "checked by the preflight");

    Outcome outcome;
    try {
      if (options.agent() != null) {
        suspendGuest(options.agent());
      }
      prepare(f);
      migrate();
      execAndReconnect();
      outcome = load(suspendedAt != null ? RunState.SUSPENDED : before);
      if (suspendedAt != null && options.wakeUp()) {
        outcome = wakeUp(outcome);
      }
    } catch (RuntimeException | Error e) {
      throw rollback(e, before);
    } finally {
      for (MigrationWatcher w : new MigrationWatcher[] {watcher, newWatcher}) {
        if (w != null) {
          w.close();
        }
      }
    }
    deleteStateFile();
    return CprExecResult.builder()
        .client(Objects.requireNonNull(client))
        .runState(outcome.state())
        .processId(Objects.requireNonNull(pid))
        .versionBefore(f.version())
        .versionAfter(outcome.version())
        .blackout(outcome.blackout())
        .blackoutExact(outcome.exact())
        .monitorGap(Objects.requireNonNull(monitorGap))
        .phaseDurations(progress.durations())
        .total(progress.elapsed())
        .preflight(f.report())
        .build();
  }

  private Duration commandTimeout() {
    return ctx.commandTimeout();
  }

  // ------------------------------------------------------------------ phases

  /** Suspends the guest through its agent and waits for QEMU's {@code SUSPEND}. */
  private void suspendGuest(GuestAgentClient agent) {
    ctx.startPhase(CprPhase.SUSPEND, "guest-suspend-ram through the guest agent");
    try (EventWait<SuspendEvent> suspended = qmp.expectEvent(SuspendEvent.class, e -> true)) {
      suspendSent = true;
      agent.suspendRam();
      suspendedAt = suspended.await(deadline.remaining(SUSPEND_TIMEOUT)).timestamp();
    } catch (QmpTimeoutException e) {
      throw new StepFailure(
          "the guest did not suspend within "
              + deadline.remaining(SUSPEND_TIMEOUT).toMillis()
              + " ms of guest-suspend-ram (no SUSPEND"
              + " event): does the guest support S3 (q35: -global ICH9-LPC.disable_s3=0)?",
          null,
          e);
    }
    RunState now = VmStatus.query(qmp, commandTimeout());
    if (!now.equals(RunState.SUSPENDED)) {
      throw new StepFailure("the guest reported a suspend, but the VM is " + now, null, null);
    }
    progress.finish("guest suspended");
  }

  /** Wakes the guest the exec suspended, in the new QEMU. */
  private Outcome wakeUp(Outcome loaded) {
    QmpClient c = Objects.requireNonNull(client);
    ctx.startPhase(CprPhase.WAKE_UP, "system_wakeup");
    Instant woke = WorkflowContext.wakeUp(c, this::commandTimeout, deadline::remaining);
    RunState state = VmStatus.query(c, commandTimeout());
    if (!state.equals(RunState.RUNNING)) {
      throw new StepFailure("the guest woke, but the VM is " + state + ", not running", null, null);
    }
    Instant from = Objects.requireNonNull(suspendedAt);
    progress.finish("the guest runs again");
    return new Outcome(state, loaded.version(), Duration.between(from, woke), true);
  }

  private void prepare(ExecFacts f) {
    Path path = options.stateFile();
    ctx.startPhase(CprPhase.PREPARE, "creating " + path);
    StateFiles.PartialFile file;
    try {
      file = StateFiles.createPartial(path);
    } catch (FileAlreadyExistsException e) {
      throw new StepFailure(
          path + " appeared after the preflight: is another exec running?", null, e);
    } catch (IOException e) {
      throw new StepFailure(
          "cannot create the state file " + path + ": " + e.getMessage(), null, e);
    }
    stateFile = file;
    AddFdInfo added;
    try {
      added =
          qmp.execute(
              new AddFd(null, "qemu-cpr-java cpr-exec state file " + path, file.descriptor()),
              commandTimeout());
    } catch (QmpCommandException e) {
      throw e; // QEMU refused it: no fd set was made
    } catch (IOException e) {
      throw new StepFailure("cannot pass the state file to QEMU: " + e.getMessage(), null, e);
    } catch (RuntimeException e) {
      addFdUnanswered = true; // QEMU may still add the descriptor
      throw e;
    }
    fdset = added.fdsetId();

    changes.setMode(f.modeBefore(), MigrationMode.CPR_EXEC, commandTimeout());
    // Not undone: the parameter means nothing outside mode cpr-exec, which the rollback undoes.
    qmp.execute(
        MigrateSetParameters.builder()
            .cprExecCommand(execCommand(options.newCommand(), path))
            .build(),
        commandTimeout());
    Map<MigrationCapability, Boolean> wanted = new LinkedHashMap<>();
    wanted.put(MigrationCapability.EVENTS, true);
    // The new QEMU starts with x-ignore-shared off; a QEMU restored by cpr-reboot has it on, and
    // the load would fail on the mismatch.
    wanted.put(MigrationCapability.X_IGNORE_SHARED, false);
    changes.setCapabilities(wanted, f.capabilities(), commandTimeout());
    progress.finish(
        "state file in fdset "
            + fdset
            + ", mode cpr-exec, cpr-exec-command "
            + options.newCommand().get(0)
            + " ("
            + options.newCommand().size()
            + " arguments)");
  }

  private void migrate() {
    Path path = options.stateFile();
    ctx.startPhase(CprPhase.MIGRATE, "migrate to " + path);
    MigrationWatcher w = new MigrationWatcher(qmp); // before migrate: events may beat the reply
    watcher = w;
    migrateSent = true;
    try {
      qmp.execute(Migrate.toFile("/dev/fdset/" + fdset, 0), commandTimeout());
    } catch (QmpCommandException e) {
      migrateRefused = true;
      throw new StepFailure("QEMU refused the migration: " + e.description(), e.description(), e);
    }
    MigrationEvent end;
    try {
      end =
          w.awaitFinished(deadline.remaining(), e -> progress.progress("migration " + e.status()));
    } catch (QmpTimeoutException e) {
      throw new StepFailure("the migration did not end within " + deadline.describe(), null, e);
    }
    if (!end.status().equals(MigrationStatus.COMPLETED)) {
      MigrationInfo info = qmp.execute(new QueryMigrate(), commandTimeout());
      throw new StepFailure(
          "the migration "
              + info.status()
              + (info.errorDesc() != null ? ": " + info.errorDesc() : ""),
          info.errorDesc(),
          null);
    }
    migrationCompleted = true;
    progress.finish("the device state is in " + path);
  }

  /**
   * After {@code completed}, QEMU either closes the monitor (the exec happened) or reports the
   * migration {@code failed} (the exec failed, and QEMU runs on). Then the monitor is reached again
   * on the same socket, and must be the same process.
   */
  private void execAndReconnect() {
    String binary = options.newCommand().get(0);
    ctx.startPhase(
        CprPhase.CONNECT_TARGET,
        "QEMU executes " + binary + "; then reconnecting to " + qmp.describePeer());
    MigrationWatcher w = Objects.requireNonNull(watcher);
    try {
      MigrationEvent after = w.awaitFinished(deadline.remaining(), e -> {});
      MigrationInfo info = qmp.execute(new QueryMigrate(), commandTimeout());
      execFailed = true;
      throw new StepFailure(
          "QEMU could not execute the new command line (migration "
              + after.status()
              + (info.errorDesc() != null ? ": " + info.errorDesc() : "")
              + ")",
          info.errorDesc(),
          null);
    } catch (QmpConnectionClosedException e) {
      // QEMU closed the monitor: it executed the new command line
    } catch (QmpTimeoutException e) {
      throw new StepFailure(
          "QEMU neither executed the new command line nor reported a failure"
              + " within "
              + deadline.describe()
              + " of the completed migration",
          null,
          e);
    }
    long closedSeen = System.nanoTime();
    StateFiles.PartialFile file = Objects.requireNonNull(stateFile);
    try {
      file.close(); // our descriptor; QEMU's went with the exec
    } catch (IOException e) {
      progress.progress("closing the state file failed: " + e);
    }
    QmpReconnection again = reconnect(deadline.remaining(options.reconnectTimeout()));
    QmpClient c = again.client();
    client = c;
    // From when the close was seen, across every round of reconnect(), to the new connection.
    monitorGap = Duration.ofNanos(System.nanoTime() - closedSeen);
    progress.finish(
        "QEMU "
            + c.greeting().version()
            + " answers again, pid "
            + pid
            + ", after "
            + again.attempts()
            + " attempt(s) in the last round; no monitor for at least "
            + Objects.requireNonNull(monitorGap).toNanos() / 1e6
            + " ms");
  }

  /**
   * Connects again within {@code limit}, in short rounds, so that a process that exited (a new
   * program that ends at once, a new QEMU that cannot start) ends the wait at once. cpr-exec keeps
   * the process id, and only a monitor whose peer is that process is taken. A peer that is another
   * process (one that took the socket path in the gap), whose process id is not known (no peer
   * credentials, or 0 from another pid namespace: the preflight had QEMU's), or that fails the QMP
   * negotiation (not QMP, or it refuses {@code qmp_capabilities}) is dropped unused, and the wait
   * goes on.
   */
  private QmpReconnection reconnect(Duration limit) {
    long p = Objects.requireNonNull(pid);
    long end = System.nanoTime() + limit.toNanos();
    String wrongPeer = null;
    while (true) {
      long left = end - System.nanoTime();
      Duration round =
          Duration.ofNanos(Math.max(1_000_000L, Math.min(left, RECONNECT_ROUND.toNanos())));
      String who;
      QmpException refused = null;
      try {
        // The watcher opens before the negotiation: the new QEMU's RESUME follows it at once.
        QmpReconnection again = QmpClient.reconnect(qmp, round, this::watchNewQemu);
        OptionalLong peer = peerProcessId.apply(again.client());
        if (peer.isPresent() && peer.getAsLong() == p) {
          return again;
        }
        again.client().close();
        who =
            peer.isPresent()
                ? "another process (pid " + peer.getAsLong() + ")"
                : "a process whose process id is not known (no peer credentials, or a process in"
                    + " another pid namespace)";
      } catch (QmpProtocolException | QmpCommandException e) {
        // No QMP, or a refused negotiation: not QEMU's new monitor, whatever process it is (its
        // connection is closed already, so its pid cannot even be read).
        who = "a peer that fails the QMP negotiation (" + e.getMessage() + ")";
        refused = e;
      } catch (QmpTimeoutException e) {
        if (!QemuProcessView.isAlive(p)) {
          throw new StepFailure(
              "the QEMU process (pid "
                  + p
                  + ") exited after the exec, before"
                  + " its monitor answered on "
                  + qmp.describePeer(),
              null,
              e);
        }
        if (System.nanoTime() < end) {
          continue;
        }
        throw new StepFailure(
            wrongPeer != null
                ? "within "
                    + limit.toMillis()
                    + " ms of the exec only "
                    + wrongPeer
                    + " answered on "
                    + qmp.describePeer()
                    + ", not QEMU (pid "
                    + p
                    + "), which runs; the last attempt: "
                    + e.getMessage()
                : "no monitor answered on "
                    + qmp.describePeer()
                    + " within "
                    + limit.toMillis()
                    + " ms of the exec, though the process (pid "
                    + p
                    + ") runs: "
                    + e.getMessage(),
            null,
            e);
      }
      if (!who.equals(wrongPeer)) {
        progress.progress(
            "dropped the connection to "
                + qmp.describePeer()
                + ": "
                + who
                + " answers there, not QEMU (pid "
                + p
                + ")");
      }
      wrongPeer = who;
      if (System.nanoTime() >= end) {
        throw new StepFailure(
            "within "
                + limit.toMillis()
                + " ms of the exec only "
                + who
                + " answered on "
                + qmp.describePeer()
                + ", not QEMU (pid "
                + p
                + ")",
            null,
            refused);
      }
      sleepQuietly(POLL_INTERVAL);
    }
  }

  /** Runs on each new connection before QEMU can send it an event. */
  private void watchNewQemu(QmpClient c) {
    MigrationWatcher stale = newWatcher;
    if (stale != null) {
      stale.close(); // of an attempt whose connection failed
    }
    newWatcher = new MigrationWatcher(c);
  }

  private Outcome load(RunState before) {
    QmpClient c = Objects.requireNonNull(client);
    MigrationWatcher tw = Objects.requireNonNull(newWatcher);
    ctx.startPhase(CprPhase.LOAD, "the new QEMU loads " + options.stateFile());
    RunState first = VmStatus.query(c, commandTimeout());
    seenRunning(first);
    boolean resumeExpected = first.equals(RunState.INMIGRATE);
    RunState state =
        first.equals(RunState.INMIGRATE)
            ? tw.awaitIncomingDone(
                deadline, commandTimeout(), POLL_INTERVAL, "the state", this::seenRunning)
            : first;
    MigrationInfo info = c.execute(new QueryMigrate(), commandTimeout());
    if (!info.status().equals(MigrationStatus.COMPLETED)) {
      throw new StepFailure(
          "the new QEMU is "
              + state
              + ", and its incoming migration "
              + info.status()
              + (info.errorDesc() != null ? ": " + info.errorDesc() : ""),
          info.errorDesc(),
          null);
    }
    if (state.equals(RunState.PAUSED) && before.equals(RunState.RUNNING) && startsPaused()) {
      // -S (as libvirt starts QEMU): the new QEMU loaded the VM and waits for a cont.
      progress.progress("the new command line has -S: the loaded VM waits paused; cont");
      c.execute(new Cont(), commandTimeout());
      state = VmStatus.query(c, commandTimeout());
      seenRunning(state);
    }
    if (!state.equals(before)) {
      throw new StepFailure(
          "the new QEMU is " + state + " after the load, not " + before + " as the VM was before",
          null,
          null);
    }
    Blackout blackout =
        Blackout.measure(
            before, state, resumeExpected, Objects.requireNonNull(watcher), tw, seenRunningAt);
    QemuVersion version = c.greeting().version();
    progress.finish(
        "QEMU "
            + version
            + " holds the VM, "
            + state
            + ", pid "
            + pid
            + "; blackout "
            + blackout.describe());
    return new Outcome(state, version, blackout.duration(), blackout.exact());
  }

  /** Whether the new command line asks QEMU not to start the guest on its own ({@code -S}). */
  private boolean startsPaused() {
    return QemuArgs.parse(options.newCommand()).has("S");
  }

  private void seenRunning(RunState state) {
    if (state.equals(RunState.RUNNING) && seenRunningAt == null) {
      seenRunningAt = Instant.now();
    }
  }

  /** Deletes the state file once it is of no more use; a failure is reported, not thrown. */
  private void deleteStateFile() {
    StateFiles.PartialFile file = stateFile;
    if (file != null) {
      try {
        file.delete();
      } catch (IOException e) {
        progress.progress("the used state file " + file.path() + " could not be deleted: " + e);
      }
    }
  }

  private static void sleepQuietly(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      // Handed on: the run fails on its next call, and a rollback takes it up (clearInterrupt)
      Thread.currentThread().interrupt();
    }
  }

  // ------------------------------------------------------------------ rollback

  /**
   * Finds where the VM is and puts back what can be: with the old monitor still open (the exec did
   * not happen or failed), the migration is cancelled if under way, the descriptor removed, mode
   * and capabilities set back, the VM resumed if it was running and QEMU did not resume it itself,
   * and the state file deleted. Once the old monitor closed, the process and the monitor on the
   * same socket tell whether the new QEMU holds the VM, and the state file is kept unless the VM
   * ran on. Each step runs even when an earlier one failed.
   */
  private CprExecException rollback(Throwable failure, RunState before) {
    Rollback rollback = new Rollback(progress, failure);
    VmLocation location;
    RunState after = null;
    boolean back = false;
    boolean keepStateFile = false;
    String note = "";
    try {
      ExecSeen seen =
          qmp.isOpen() && migrateSent && !migrateRefused
              ? awaitExecOrFailure(rollback)
              : ExecSeen.NOT_EXECUTED;
      if (seen == ExecSeen.UNDECIDED && qmp.isOpen()) {
        location = VmLocation.UNKNOWN;
        keepStateFile = true;
        note =
            " It cannot be told whether QEMU (pid "
                + pid
                + ") executes the new command line: its"
                + " monitor on "
                + qmp.describePeer()
                + " stays open and its migration has not failed. The state file "
                + options.stateFile()
                + " is kept. Do not restore it by hand while the old VM may still run: two"
                + " copies of one guest would run on the same disks.";
      } else if (qmp.isOpen()) {
        location = VmLocation.OLD_QEMU;
        MigrationWatcher w = watcher;
        Long set = fdset;
        if (set != null) {
          rollback.step(
              "remove-fd " + set,
              () -> qmp.execute(RemoveFd.set(set), WorkflowTimeouts.ROLLBACK_COMMAND));
        } else if (addFdUnanswered) {
          note +=
              " The add-fd of the state file got no answer: QEMU may hold a descriptor of it"
                  + " in an fd set (query-fdsets) until it quits.";
        }
        changes.undo(rollback);
        RunState state = null;
        try {
          state = VmStatus.settled(qmp, w, WorkflowTimeouts.SETTLE);
        } catch (QmpException e) {
          rollback.problem(e);
        }
        if (state != null
            && before.equals(RunState.RUNNING)
            && (state.equals(RunState.PAUSED) || state.equals(RunState.POSTMIGRATE))) {
          rollback.step("cont", () -> qmp.execute(new Cont(), WorkflowTimeouts.ROLLBACK_COMMAND));
        }
        if (suspendSent && before.equals(RunState.RUNNING)) {
          if (state != null && !state.equals(RunState.SUSPENDED) && suspendedAt == null) {
            // guest-suspend-ram may still land after its wait ended: look once more
            sleepQuietly(SUSPEND_SETTLE);
            state = rollback.query(qmp);
          }
          if (RunState.SUSPENDED.equals(state)) {
            rollback.step(
                "system_wakeup",
                () ->
                    WorkflowContext.wakeUp(
                        qmp,
                        () -> WorkflowTimeouts.ROLLBACK_COMMAND,
                        () -> WorkflowTimeouts.ROLLBACK_COMMAND));
          }
        }
        after = rollback.query(qmp);
        back = after != null && after.equals(before);
        if (execFailed) {
          note += " QEMU did not execute the new command line and runs the VM on as it was.";
        }
      } else {
        location = findVmAfterExec(rollback);
        after = vmStateAfterExec;
        if (location == VmLocation.NEW_QEMU && incomingCompletedAfterExec) {
          note =
              " The new QEMU (pid "
                  + pid
                  + ") holds the VM, "
                  + after
                  + ": connect to "
                  + qmp.describePeer()
                  + " again and look"
                  + (RunState.SUSPENDED.equals(after) && suspendedAt != null
                      ? "; the guest was suspended for the exec: wake it with system_wakeup."
                      : ".");
        } else if (location == VmLocation.PROCESS_EXITED) {
          keepStateFile = true;
          note =
              " The QEMU process (pid "
                  + pid
                  + ") exited after the exec: the new program"
                  + " exited, or the new QEMU could not load the state (see its standard error)."
                  + " RAM in memfd or anonymous memory is lost; RAM in a memory-backend-file,share=on"
                  + " is still in its file, and a QEMU started with the old arguments plus -incoming"
                  + " for "
                  + options.stateFile()
                  + " restores the VM.";
        } else {
          keepStateFile = true;
          location = location == VmLocation.NEW_QEMU ? VmLocation.NEW_QEMU : VmLocation.UNKNOWN;
          note =
              " QEMU (pid "
                  + pid
                  + ") runs, and "
                  + (after != null
                      ? "its monitor says " + after
                      : "its monitor does not answer on " + qmp.describePeer())
                  + "; the state file "
                  + options.stateFile()
                  + " is kept.";
        }
      }
    } catch (RuntimeException unexpected) {
      rollback.problem(unexpected);
      location = VmLocation.UNKNOWN;
      keepStateFile = true;
    }
    QmpClient c = client;
    if (c != null) {
      c.close(); // the caller connects again, to a VM it can then look at
    }
    if (!keepStateFile) {
      deleteStateFile();
    } else {
      StateFiles.PartialFile file = stateFile;
      if (file != null) {
        try {
          file.close();
        } catch (IOException e) {
          rollback.problem(e);
        }
      }
    }
    rollback.end();
    VmRecovery recovery = rollback.recovery(location == VmLocation.OLD_QEMU && back);
    rollback.report(
        "VM "
            + location.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
            + ", "
            + (after != null ? after : "state unknown"),
        recovery);
    Path kept = keepStateFile && stateFile != null ? options.stateFile() : null;
    CprExecException e =
        new CprExecException(
            "The cpr-exec failed: "
                + WorkflowContext.failureSentence(qmp, failure, "cpr-exec", "")
                + note,
            rollback.phase(),
            StepFailure.qemuErrorOf(failure),
            after,
            recovery,
            location,
            kept,
            failure);
    return rollback.suppressInto(e);
  }

  /**
   * After {@code migrate} was sent, with the old monitor still open: cancels a migration still
   * under way, then waits (up to {@link #EXEC_SETTLE}, within the overall deadline) until the
   * monitor closes (QEMU executes the new command line) or the migration reports failed or
   * cancelled (it does not).
   */
  private ExecSeen awaitExecOrFailure(Rollback rollback) {
    MigrationWatcher w = watcher;
    if (!migrationCompleted) {
      rollback.step(
          "cancel the migration",
          () ->
              MigrationWatcher.cancelIfActive(
                  qmp, w, WorkflowTimeouts.ROLLBACK_COMMAND, WorkflowTimeouts.CANCEL));
    }
    // Even past the overall deadline the rollback needs a few answers from QEMU to tell an exec
    // from a cancelled migration: without them it could only report the VM's place as unknown.
    Duration settle = deadline.remainingOverall(EXEC_SETTLE);
    long end =
        System.nanoTime()
            + (settle.compareTo(MIN_EXEC_SETTLE) < 0 ? MIN_EXEC_SETTLE : settle).toNanos();
    while (true) {
      rollback.clearInterrupt();
      if (!qmp.isOpen()) {
        return ExecSeen.EXECUTED;
      }
      long left = Math.max(end - System.nanoTime(), 1_000_000L);
      try {
        MigrationInfo info =
            qmp.execute(
                new QueryMigrate(), Duration.ofNanos(Math.min(left, SETTLE_QUERY.toNanos())));
        MigrationStatus s = info.status();
        if (s.equals(MigrationStatus.FAILED)
            || s.equals(MigrationStatus.CANCELLED)
            || s.equals(MigrationStatus.NONE)) {
          execFailed |= migrationCompleted && s.equals(MigrationStatus.FAILED);
          return ExecSeen.NOT_EXECUTED;
        }
      } catch (QmpConnectionClosedException e) {
        return ExecSeen.EXECUTED;
      } catch (QmpException e) {
        // no answer in time: ask again while there is time
      }
      if (System.nanoTime() >= end) {
        return qmp.isOpen() ? ExecSeen.UNDECIDED : ExecSeen.EXECUTED;
      }
      sleepQuietly(Duration.ofMillis(50));
      rollback.clearInterrupt();
    }
  }

  /** After the old monitor closed: is the process there, and what does its monitor say? */
  private VmLocation findVmAfterExec(Rollback rollback) {
    long p = Objects.requireNonNull(pid);
    QmpClient c = client;
    if (c == null || !c.isOpen()) {
      if (c != null) {
        c.close();
        client = null;
      }
      if (!QemuProcessView.isAlive(p)) {
        return VmLocation.PROCESS_EXITED;
      }
      try {
        c = reconnect(ROLLBACK_RECONNECT).client();
        client = c;
      } catch (QmpException | StepFailure e) {
        rollback.problem(e);
        return QemuProcessView.isAlive(p) ? VmLocation.UNKNOWN : VmLocation.PROCESS_EXITED;
      }
    }
    try {
      vmStateAfterExec = VmStatus.query(c, WorkflowTimeouts.ROLLBACK_COMMAND);
      MigrationWatcher tw = newWatcher;
      if (vmStateAfterExec.equals(RunState.INMIGRATE) && tw != null) {
        try {
          // The new QEMU is loading the state: wait for the load, as the exec would have.
          vmStateAfterExec =
              tw.awaitIncomingDone(
                  new Deadline(ROLLBACK_RECONNECT, ROLLBACK_RECONNECT),
                  WorkflowTimeouts.ROLLBACK_COMMAND,
                  POLL_INTERVAL,
                  "the state",
                  s -> {});
        } catch (StepFailure e) {
          rollback.problem(e);
        }
      }
      MigrationStatus incoming =
          c.execute(new QueryMigrate(), WorkflowTimeouts.ROLLBACK_COMMAND).status();
      incomingCompletedAfterExec =
          incoming.equals(MigrationStatus.COMPLETED) && HOLDS_VM.contains(vmStateAfterExec);
      return VmLocation.NEW_QEMU;
    } catch (QmpException e) {
      rollback.problem(e);
      return QemuProcessView.isAlive(p) ? VmLocation.UNKNOWN : VmLocation.PROCESS_EXITED;
    }
  }
}

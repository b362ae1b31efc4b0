package io.github.qemucpr.examples.bench;

import io.github.qemucpr.api.CprExec;
import io.github.qemucpr.api.CprExecResult;
import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprRestoreResult;
import io.github.qemucpr.api.CprSaveBuilder;
import io.github.qemucpr.api.CprSaveResult;
import io.github.qemucpr.api.CprTransfer;
import io.github.qemucpr.api.CprTransferResult;
import io.github.qemucpr.api.SuspendPolicy;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpEventListener;
import io.github.qemucpr.qmp.event.QmpEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Runs cpr-reboot cycles on one VM, one after another: save the running QEMU, wait for it to exit,
 * start the new QEMU with {@code -incoming defer}, restore. The restored QEMU is the next cycle's
 * source. Each cycle is timed on QEMU's own event clock (the {@code STOP} or {@code SUSPEND} event
 * of the old QEMU to the {@code RESUME} or {@code WAKEUP} event of the new one), the same way for
 * the SDK and for the raw client. Not thread-safe.
 */
final class CprCycles implements AutoCloseable {
  private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration EVENT_TIMEOUT = Duration.ofSeconds(10);

  /** Who drives the cycle. */
  enum Driver {
    SDK_FD("SDK (state file by fd, the default)"),
    SDK_PATH("SDK (state file by path)"),
    RAW("raw client (by path)"),
    /** Not a cpr-reboot: the SDK's cpr-transfer to a new QEMU started before {@code migrate}. */
    TRANSFER("SDK cpr-transfer (-incoming defer)"),
    /** Not a cpr-reboot: the SDK's cpr-exec ({@code CprExec.run}), the same process on. */
    EXEC_SDK("SDK cpr-exec (CprExec, state file by fd)"),
    /** Not a cpr-reboot: a raw client's cpr-exec, the same QMP steps without the SDK's checks. */
    EXEC_RAW("raw client cpr-exec (by path)");

    final String label;

    Driver(String label) {
      this.label = label;
    }
  }

  /** Whether the driver is a cpr-exec, whose QEMU runs on in the same process. */
  static boolean isExec(Driver d) {
    return d == Driver.EXEC_SDK || d == Driver.EXEC_RAW;
  }

  /**
   * One cycle. All durations are wall-clock; for cpr-reboot the blackout is {@code save + start +
   * restore}. For cpr-transfer the new QEMU starts before {@code migrate}, outside the blackout:
   * {@code start} is then its start until its cpr socket exists, {@code save} and {@code restore}
   * are zero, and {@code savePhases} holds the transfer's phases. For cpr-exec the same process
   * executes the new QEMU inside the blackout: {@code start} is then the time without a monitor
   * (the old connection seen closed to the new one ready), {@code save} and {@code restore} are
   * zero, and {@code savePhases} holds the SDK's exec phases.
   *
   * @param blackout the VM's stop to its running again
   * @param save the VM's stop to the old QEMU's exit
   * @param start the new QEMU's start, until its monitor greets: the caller's part
   * @param restore the new QEMU's greeting to the VM running
   * @param stateBytes the state file's size
   * @param savePhases the SDK's save phases (empty for the raw client)
   * @param restorePhases the SDK's restore phases (empty for the raw client)
   * @param qemuDowntime QEMU's own downtime figure, when the SDK got one
   * @param blackoutExact whether the blackout ends at the new QEMU's own {@code RESUME} event;
   *     false when that event came before the client was connected again (a cpr-exec can lose it),
   *     and the blackout ends when {@code query-status} first said {@code running}: an upper bound
   */
  record Cycle(
      Driver driver,
      Duration blackout,
      Duration save,
      Duration start,
      Duration restore,
      long stateBytes,
      Map<CprPhase, Duration> savePhases,
      Map<CprPhase, Duration> restorePhases,
      @Nullable Duration qemuDowntime,
      boolean blackoutExact) {
    /** The blackout without the new QEMU's start: what the client and QEMU's save and load take. */
    Duration blackoutWithoutStart() {
      return driver == Driver.TRANSFER || isExec(driver) ? blackout : blackout.minus(start);
    }
  }

  private final QemuLauncher vm;
  private final Path stateDir;
  private final boolean guest;
  private final boolean suspend;
  private final boolean ignoreShared;
  private @Nullable QemuInstance current;

  /**
   * @param guest whether the VM runs the test guest, with its agent
   * @param suspend whether the guest is suspended through its agent first
   * @param ignoreShared whether RAM stays in place (a shared file backend), for the raw client
   */
  CprCycles(QemuLauncher vm, Path stateDir, boolean guest, boolean suspend, boolean ignoreShared) {
    this.vm = vm;
    this.stateDir = stateDir;
    this.guest = guest;
    this.suspend = suspend;
    this.ignoreShared = ignoreShared;
  }

  /**
   * Starts the first QEMU; with the test guest, waits until it has booted and its agent answers.
   */
  QemuInstance start() {
    QemuInstance q = vm.start();
    current = q;
    if (guest) {
      // As the demo does: the guest settles for a couple of heartbeats after its boot.
      q.awaitHeartbeatAfter(
          q.awaitHeartbeatAfter(0, Duration.ofSeconds(120)) + 1, Duration.ofSeconds(30));
      Path agent = q.qgaSocket().orElseThrow();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (true) {
        try (GuestAgentClient ga = GuestAgentClient.connect(agent)) {
          ga.ping();
          break;
        } catch (RuntimeException e) {
          if (System.nanoTime() - deadline > 0) {
            throw e;
          }
        }
      }
    }
    return q;
  }

  /** The running QEMU. */
  QemuInstance current() {
    QemuInstance q = current;
    if (q == null) {
      throw new IllegalStateException("start() first");
    }
    return q;
  }

  /** One whole cycle. {@code beforeSave} runs on the SDK's client first (set capabilities, say). */
  Cycle run(Driver driver, Consumer<QmpClient> beforeSave) throws IOException {
    if (driver == Driver.TRANSFER) {
      return transfer(beforeSave);
    }
    if (isExec(driver)) {
      return exec(driver == Driver.EXEC_SDK, beforeSave);
    }
    Path state = stateDir.resolve("vm.state");
    deleteCheckpoint(state);
    QemuInstance source = current();
    Instant stopped;
    long bytes;
    Map<CprPhase, Duration> savePhases = Map.of();
    Duration downtime = null;
    if (driver == Driver.RAW) {
      RawCpr.Saved saved =
          RawCpr.save(
              source.qmpSocket(),
              suspend ? source.qgaSocket() : Optional.empty(),
              state,
              ignoreShared);
      stopped = saved.stopped();
      bytes = saved.bytes();
    } else {
      EventClock clock = new EventClock();
      CprSaveResult saved;
      try (QmpClient qmp =
              QmpClient.builder().unixSocket(source.qmpSocket()).eventListener(clock).connect();
          GuestAgentClient ga =
              guest ? GuestAgentClient.connect(source.qgaSocket().orElseThrow()) : null) {
        beforeSave.accept(qmp);
        CprSaveBuilder save =
            CprReboot.save(qmp).to(state).passFileDescriptor(driver == Driver.SDK_FD);
        if (ga != null) {
          ga.sync(); // as a manager would, before the save: not part of the blackout
          save.guestAgent(ga).suspendPolicy(suspend ? SuspendPolicy.ALWAYS : SuspendPolicy.AUTO);
        }
        saved = save.run();
      }
      stopped = clock.await(suspend ? "SUSPEND" : "STOP");
      bytes = saved.bytesWritten();
      savePhases = saved.phaseDurations();
      downtime = saved.qemuDowntime();
    }
    source.awaitExit(EXIT_TIMEOUT);
    Instant exited = Instant.now();
    source.close();
    current = null;

    QemuInstance target = vm.startIncoming();
    current = target;
    Instant started = Instant.now();
    Instant running;
    Map<CprPhase, Duration> restorePhases = Map.of();
    if (driver == Driver.RAW) {
      running = RawCpr.restore(target.qmpSocket(), state);
    } else {
      EventClock clock = new EventClock();
      try (QmpClient qmp =
          QmpClient.builder().unixSocket(target.qmpSocket()).eventListener(clock).connect()) {
        CprRestoreResult restored =
            CprReboot.restore(qmp).from(state).passFileDescriptor(driver == Driver.SDK_FD).run();
        restorePhases = restored.phaseDurations();
      }
      running = clock.await(suspend ? "WAKEUP" : "RESUME");
    }
    deleteCheckpoint(state);
    if (guest) {
      // Outside the blackout: the woken guest runs (its console shows a new heartbeat) before the
      // next cycle suspends it again.
      target.awaitHeartbeatAfter(0, Duration.ofSeconds(30));
    }
    return new Cycle(
        driver,
        Duration.between(stopped, running),
        Duration.between(stopped, exited),
        Duration.between(exited, started),
        Duration.between(started, running),
        bytes,
        savePhases,
        restorePhases,
        downtime,
        true);
  }

  /**
   * One cpr-transfer: the new QEMU starts (with {@code -incoming defer}, so that its {@code RESUME}
   * is always seen and the blackout is exact), the SDK transfers the VM to it, and the old QEMU
   * quits once the new one runs: outside the blackout, as the caller chooses.
   */
  private Cycle transfer(Consumer<QmpClient> beforeSave) throws IOException {
    if (suspend) {
      throw new IllegalStateException("the transfer cycle does not suspend the guest");
    }
    QemuInstance source = current();
    Path cprSocket = stateDir.resolve("cpr.sock");
    Path mainSocket = stateDir.resolve("main.sock");
    Files.deleteIfExists(cprSocket);
    Files.deleteIfExists(mainSocket);
    CprTransferResult r;
    Instant launched = Instant.now();
    QemuInstance target = vm.startCprTransferTarget(cprSocket, null);
    Duration start = Duration.between(launched, Instant.now());
    try (QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
      beforeSave.accept(qmp);
      r =
          CprTransfer.from(qmp)
              .cprChannel(cprSocket)
              .mainChannel(mainSocket)
              .targetQmp(target.qmpSocket())
              .run();
      try (QmpClient t = r.target()) {
        if (!r.blackoutExact()) {
          throw new IllegalStateException("the new QEMU's RESUME was not seen");
        }
        CprTransfer.quitSource(qmp, t, EXIT_TIMEOUT);
      }
    } catch (RuntimeException e) {
      target.close();
      throw e;
    }
    source.awaitExit(EXIT_TIMEOUT);
    source.close();
    current = target;
    Files.deleteIfExists(cprSocket);
    Files.deleteIfExists(mainSocket);
    return new Cycle(
        Driver.TRANSFER,
        r.blackout(),
        Duration.ZERO,
        start,
        Duration.ZERO,
        0,
        r.phaseDurations(),
        Map.of(),
        r.qemuDowntime(),
        r.blackoutExact());
  }

  /**
   * One cpr-exec: the running QEMU executes its own command line again (read from {@code
   * /proc/PID/cmdline}, without its {@code -incoming}), plus the load of the state file, and runs
   * on in the same process; by the SDK's {@code CprExec} or by the raw client.
   */
  private Cycle exec(boolean sdk, Consumer<QmpClient> beforeSave) throws IOException {
    if (suspend) {
      throw new IllegalStateException("the exec cycle does not suspend the guest");
    }
    QemuInstance q = current();
    List<String> argv = ExecSupport.commandLine(q.pid());
    Path state = stateDir.resolve("exec.state");
    Files.deleteIfExists(state);
    Cycle c;
    if (sdk) {
      CprExecResult r;
      try (QmpClient qmp = QmpClient.connect(q.qmpSocket())) {
        beforeSave.accept(qmp);
        r = CprExec.of(qmp).newCommand(argv).stateFile(state).run();
      }
      r.client().close();
      if (r.processId() != q.pid()) {
        throw new IllegalStateException(
            "the exec ran in pid " + r.processId() + ", not " + q.pid());
      }
      c =
          new Cycle(
              Driver.EXEC_SDK,
              r.blackout(),
              Duration.ZERO,
              r.monitorGap(),
              Duration.ZERO,
              0,
              r.phaseDurations(),
              Map.of(),
              null,
              r.blackoutExact());
    } else {
      RawCpr.Execed r = RawCpr.exec(q.qmpSocket(), argv, state);
      c =
          new Cycle(
              Driver.EXEC_RAW,
              Duration.between(r.stopped(), r.running()),
              Duration.ZERO,
              r.monitorGap(),
              Duration.ZERO,
              r.bytes(),
              Map.of(),
              Map.of(),
              null,
              r.exact());
    }
    if (!q.isAlive()) {
      throw new IllegalStateException("QEMU (pid " + q.pid() + ") exited after the exec");
    }
    return c;
  }

  private static void deleteCheckpoint(Path state) throws IOException {
    Path dir = state.getParent();
    String name = state.getFileName().toString();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String n = p.getFileName().toString();
        if (n.startsWith(name) || n.startsWith("." + name)) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  @Override
  public void close() {
    QemuInstance q = current;
    current = null;
    if (q != null) {
      q.close();
    }
  }

  /** The first time QEMU sent each event, by name, on one connection. */
  static final class EventClock implements QmpEventListener {
    private final Map<String, CompletableFuture<Instant>> first = new ConcurrentHashMap<>();

    @Override
    public void onEvent(QmpEvent event) {
      first
          .computeIfAbsent(event.name(), n -> new CompletableFuture<>())
          .complete(event.timestamp());
    }

    /** When QEMU first sent {@code name}; waits a little, as listeners run on their own thread. */
    Instant await(String name) {
      try {
        return first
            .computeIfAbsent(name, n -> new CompletableFuture<>())
            .get(EVENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      } catch (Exception e) {
        throw new IllegalStateException("no " + name + " event from QEMU", e);
      }
    }
  }

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

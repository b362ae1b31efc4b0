package io.github.qemucpr.api.soak;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprRestoreResult;
import io.github.qemucpr.api.CprSaveResult;
import io.github.qemucpr.api.GuestRam;
import io.github.qemucpr.api.SuspendPolicy;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.testing.TestGuest;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.ObjectPropertyInfo;
import io.github.qemucpr.qmp.command.QomList;
import io.github.qemucpr.qmp.command.QueryMemdev;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.QueryMigrateCapabilities;
import io.github.qemucpr.qmp.command.QueryMigrateParameters;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.QueryVersion;
import io.github.qemucpr.qmp.command.RunState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The soak: many save/restore cycles in one JVM, on a machine-only VM and on the test guest with
 * its agent (the guest runs its OS throughout), then QMP commands from 16 threads on one client;
 * before and after, the JVM's threads, open descriptors ({@code /proc/self/fd}) and heap after GC
 * must not have grown beyond noise.
 *
 * <p>It runs quick by default, so that every {@code mvn verify} (and with it {@code
 * scripts/test.sh} and CI) includes it: 10 + 3 cycles and 30 s of QMP load. {@code scripts/soak.sh}
 * runs the full soak ({@code -Dqemucpr.soak=full}: 200 + 50 cycles and 10 minutes). Each count can
 * be set alone: {@code -Dqemucpr.soak.machineCycles=N}, {@code .guestCycles=N}, {@code
 * .qmpSeconds=N}. The figures go to standard output and to {@code target/soak-report.txt}.
 *
 * <p>An IT rather than a main class: it gets Failsafe's classpath, fork and reports for free, runs
 * in the one JVM the soak is about, and a plain {@code mvn verify} runs the quick version.
 */
@Timeout(value = 90, unit = TimeUnit.MINUTES)
class SoakIT {
  private static final long MARKER_OFFSET = 48L << 20;
  private static final int QMP_THREADS = 16;

  /** Growth allowed beyond the noise of a JVM that loads classes and compiles code meanwhile. */
  private static final int THREAD_SLACK = 2;

  private static final int FD_SLACK = 4;
  private static final long HEAP_SLACK = 16L << 20;

  @TempDir Path dir;

  private final List<String> report = new ArrayList<>();

  private record Settings(String mode, int machineCycles, int guestCycles, int qmpSeconds) {
    static Settings fromSystemProperties() {
      boolean full = "full".equals(System.getProperty("qemucpr.soak", "quick"));
      return new Settings(
          full ? "full" : "quick",
          Integer.getInteger("qemucpr.soak.machineCycles", full ? 200 : 10),
          Integer.getInteger("qemucpr.soak.guestCycles", full ? 50 : 3),
          Integer.getInteger("qemucpr.soak.qmpSeconds", full ? 600 : 30));
    }
  }

  /** Threads (compiler threads aside), client threads, descriptors, heap after GC. */
  record Figures(int threads, int clientThreads, int descriptors, long heapAfterGc) {
    static Figures take() {
      settle();
      List<String> names =
          Thread.getAllStackTraces().keySet().stream()
              .filter(Thread::isAlive)
              .map(Thread::getName)
              .filter(n -> !n.contains("CompilerThread"))
              .toList();
      int clients =
          (int) names.stream().filter(n -> n.startsWith("qmp-") || n.startsWith("qga-")).count();
      return new Figures(names.size(), clients, descriptorCount(), measureHeapAfterGc());
    }

    @Override
    public String toString() {
      return String.format(
          "threads %d (QMP/QGA client threads %d), open fds %d, heap after GC" + " %.1f MiB",
          threads, clientThreads, descriptors, heapAfterGc / 1048576.0);
    }
  }

  @Test
  void soak() throws Exception {
    Settings s = Settings.fromSystemProperties();
    log(
        "soak %s: %d machine-only cycles, %d test guest cycles, %d s of QMP load from %d threads",
        s.mode(), s.machineCycles(), s.guestCycles(), s.qmpSeconds(), QMP_THREADS);
    Instant start = Instant.now();

    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).name("soak").build()) {
      Path ram = vm.memoryFile().orElseThrow();
      byte[] marker = new byte[4096];
      new Random(7).nextBytes(marker);
      QemuInstance current = vm.start();
      try {
        GuestRam.writeAt(ram, MARKER_OFFSET, marker);
        current = machineCycles(vm, current, 1, "warm-up"); // loads the classes of a cycle
        try (TestGuest warm = TestGuest.boot()) {
          guestCycles(warm, 1, "warm-up");
        }
        Figures before = Figures.take();
        log("BEFORE: %s", before);

        current = machineCycles(vm, current, s.machineCycles(), "machine-only");
        Figures afterMachine = Figures.take();
        log("after %d machine-only cycles: %s", s.machineCycles(), afterMachine);

        try (TestGuest guest = TestGuest.boot()) {
          guestCycles(guest, s.guestCycles(), "test guest");
        }
        Figures afterGuest = Figures.take();
        log("after %d test guest cycles: %s", s.guestCycles(), afterGuest);

        try (QmpClient qmp = QmpClient.connect(current.qmpSocket())) {
          assertThat(GuestRam.guestMemory(dir, qmp, MARKER_OFFSET, marker.length))
              .as("the marker after every machine-only cycle")
              .isEqualTo(marker);
          qmpLoad(qmp, Duration.ofSeconds(s.qmpSeconds()));
        }
        Figures after = Figures.take();
        log("AFTER: %s", after);
        log(
            "growth: threads %+d, client threads %+d, fds %+d, heap %+.1f MiB; took %s",
            after.threads() - before.threads(),
            after.clientThreads() - before.clientThreads(),
            after.descriptors() - before.descriptors(),
            (after.heapAfterGc() - before.heapAfterGc()) / 1048576.0,
            Duration.between(start, Instant.now()).withNanos(0));
        writeReport();

        for (Figures f : List.of(afterMachine, afterGuest, after)) {
          assertThat(f.clientThreads())
              .as("client threads: %s", f)
              .isLessThanOrEqualTo(before.clientThreads());
          assertThat(f.threads())
              .as("threads: %s", f)
              .isLessThanOrEqualTo(before.threads() + THREAD_SLACK);
          assertThat(f.descriptors())
              .as("open fds: %s", f)
              .isLessThanOrEqualTo(before.descriptors() + FD_SLACK);
          assertThat(f.heapAfterGc())
              .as("heap after GC: %s", f)
              .isLessThanOrEqualTo(
                  before.heapAfterGc() + Math.max(HEAP_SLACK, before.heapAfterGc() / 5));
        }
      } finally {
        current.close();
        writeReport();
      }
    }
  }

  /** Save, quit, start incoming, restore, {@code cycles} times; returns the QEMU running now. */
  private QemuInstance machineCycles(QemuLauncher vm, QemuInstance first, int cycles, String what)
      throws IOException {
    QemuInstance current = first;
    long saveMillis = 0;
    long restoreMillis = 0;
    for (int cycle = 1; cycle <= cycles; cycle++) {
      Path state = dir.resolve("machine.state");
      try (QmpClient qmp = QmpClient.connect(current.qmpSocket())) {
        CprSaveResult saved = CprReboot.save(qmp).to(state).run();
        saveMillis += saved.total().toMillis();
      }
      assertThat(current.awaitExit(Duration.ofSeconds(30))).isZero();
      current.close();
      current = vm.startIncoming();
      try (QmpClient qmp = QmpClient.connect(current.qmpSocket())) {
        CprRestoreResult restored = CprReboot.restore(qmp).from(state).run();
        assertThat(restored.runState()).as("%s cycle %d", what, cycle).isEqualTo(RunState.RUNNING);
        restoreMillis += restored.total().toMillis();
      }
      if (cycle % 50 == 0) {
        log("  %s: %d cycles done, %s", what, cycle, Figures.take());
      }
    }
    log(
        "  %s: %d cycles, mean save %d ms, mean restore %d ms",
        what, cycles, saveMillis / cycles, restoreMillis / cycles);
    return current;
  }

  /**
   * The running test guest saved (with its agent given to the save), restored into a new QEMU,
   * {@code cycles} times; each cycle ends with the agent answering in the restored guest, from the
   * same boot. The guest is not suspended: under TCG the test guest reaches S3 once per boot only
   * (a second {@code guest-suspend-ram} is accepted, the guest kernel logs an S3 entry and exit,
   * but QEMU sees no sleep request: no SUSPEND, the run state stays running).
   */
  private void guestCycles(TestGuest first, int cycles, String what) {
    String bootId = first.bootId().orElseThrow();
    Path state = dir.resolve("guest.state");
    TestGuest current = first;
    long saveMillis = 0;
    long restoreMillis = 0;
    try {
      for (int cycle = 1; cycle <= cycles; cycle++) {
        try (QmpClient qmp = current.connectQmp();
            GuestAgentClient qga = current.connectAgent()) {
          CprSaveResult saved =
              CprReboot.save(qmp)
                  .to(state)
                  .guestAgent(qga)
                  .suspendPolicy(SuspendPolicy.NEVER)
                  .run();
          assertThat(saved.suspendedByUs()).isFalse();
          saveMillis += saved.total().toMillis();
        } catch (RuntimeException e) {
          String console = current.console();
          throw new AssertionError(
              what
                  + " cycle "
                  + cycle
                  + ": "
                  + e.getMessage()
                  + "\n--- console (last 3000 chars):\n"
                  + console.substring(Math.max(0, console.length() - 3000)),
              e);
        }
        assertThat(current.awaitExit(Duration.ofSeconds(30))).isZero();
        if (current != first) {
          current.close();
        }
        current = first.startIncoming();
        try (QmpClient qmp = current.connectQmp()) {
          CprRestoreResult restored = CprReboot.restore(qmp).from(state).run();
          assertThat(restored.runState())
              .as("%s cycle %d", what, cycle)
              .isEqualTo(RunState.RUNNING);
          restoreMillis += restored.total().toMillis();
        }
        current.awaitAgent(Duration.ofSeconds(30));
        try (GuestAgentClient qga = current.connectAgent()) {
          String now =
              qga.run("cat", List.of("/proc/sys/kernel/random/boot_id"), Duration.ofSeconds(20))
                  .stdout()
                  .trim();
          assertThat(now).as("%s cycle %d: the same boot", what, cycle).isEqualTo(bootId);
        }
        if (cycle % 10 == 0) {
          log("  %s: %d cycles done, %s", what, cycle, Figures.take());
        }
      }
    } finally {
      if (current != first) {
        current.close();
      }
    }
    log(
        "  %s: %d cycles, mean save %d ms, mean restore %d ms",
        what, cycles, saveMillis / cycles, restoreMillis / cycles);
  }

  /** {@link #QMP_THREADS} threads share one client and send queries, typed and untyped. */
  private void qmpLoad(QmpClient qmp, Duration length) throws Exception {
    long end = System.nanoTime() + length.toNanos();
    AtomicLong calls = new AtomicLong();
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<long[]> latencies = new ConcurrentLinkedQueue<>();
    CountDownLatch done = new CountDownLatch(QMP_THREADS);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < QMP_THREADS; t++) {
      int id = t;
      Thread thread =
          new Thread(
              () -> {
                long[] micros = new long[1 << 16];
                int n = 0;
                try {
                  for (long i = 0; System.nanoTime() - end < 0; i++) {
                    long t0 = System.nanoTime();
                    try {
                      switch ((int) ((i + id) % 8)) {
                        case 0 ->
                            assertThat(qmp.execute(new QueryStatus()).status())
                                .isEqualTo(RunState.RUNNING);
                        case 1 -> qmp.execute(new QueryMigrate());
                        case 2 -> qmp.execute(new QueryVersion());
                        case 3 -> qmp.execute(new QueryMemdev());
                        case 4 -> {
                          List<ObjectPropertyInfo> props = qmp.execute(new QomList("/machine"));
                          assertThat(props).isNotEmpty();
                        }
                        case 5 -> qmp.execute(new QueryMigrateCapabilities());
                        case 6 -> qmp.execute("query-name", null);
                        default -> {
                          CompletableFuture<?> a = qmp.executeAsync(new QueryMigrateParameters());
                          CompletableFuture<?> b = qmp.executeAsync(new QueryStatus());
                          a.get(30, TimeUnit.SECONDS);
                          b.get(30, TimeUnit.SECONDS);
                        }
                      }
                      calls.incrementAndGet();
                    } catch (Throwable e) {
                      errors.add(e);
                    }
                    micros[n++ & (micros.length - 1)] = (System.nanoTime() - t0) / 1000;
                  }
                } finally {
                  latencies.add(Arrays.copyOf(micros, Math.min(n, micros.length)));
                  done.countDown();
                }
              },
              "soak-qmp-" + t);
      threads.add(thread);
      thread.start();
    }
    assertThat(done.await(length.toSeconds() + 120, TimeUnit.SECONDS)).isTrue();
    for (Thread t : threads) {
      t.join();
    }
    long[] all = latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    log(
        "  QMP load: %d calls in %d s from %d threads on one client (%.0f/s), %d errors;"
            + " latency p50 %d us, p99 %d us, max %d us",
        calls.get(),
        length.toSeconds(),
        QMP_THREADS,
        calls.get() / (double) length.toSeconds(),
        errors.size(),
        percentile(all, 50),
        percentile(all, 99),
        all.length == 0 ? 0 : all[all.length - 1]);
    if (!errors.isEmpty()) {
      throw new AssertionError(errors.size() + " QMP calls failed; the first", errors.peek());
    }
  }

  private static long percentile(long[] sorted, int p) {
    return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, sorted.length * p / 100)];
  }

  // ------------------------------------------------------------------ measuring

  /** Lets threads that end asynchronously (idle pool threads, closed readers) go first. */
  private static void settle() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() - deadline < 0
        && Thread.getAllStackTraces().keySet().stream()
            .anyMatch(t -> t.getName().startsWith("qmp-") || t.getName().startsWith("qga-"))) {
      sleep(50);
    }
    sleep(1500); // the agent client's async thread ends after one idle second
  }

  private static long measureHeapAfterGc() {
    long min = Long.MAX_VALUE;
    Runtime runtime = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
      sleep(200);
      min = Math.min(min, runtime.totalMemory() - runtime.freeMemory());
    }
    return min;
  }

  private static int descriptorCount() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return (int) fds.count() - 1; // the listing's own descriptor
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private void log(String format, Object... args) {
    String line = String.format(format, args);
    report.add(line);
    System.out.println("SOAK " + line);
  }

  private void writeReport() throws IOException {
    Path out = Path.of(System.getProperty("qemucpr.soak.report", "target/soak-report.txt"));
    if (out.getParent() != null) {
      Files.createDirectories(out.getParent());
    }
    Files.write(out, report, StandardCharsets.UTF_8);
  }

  // ------------------------------------------------------------------ helpers

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}

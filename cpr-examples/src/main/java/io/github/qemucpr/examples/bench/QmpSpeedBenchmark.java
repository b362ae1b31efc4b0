package io.github.qemucpr.examples.bench;

import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.QueryStatus;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Part 3: {@code query-status} round trips per second and their latency, through the SDK's {@link
 * QmpClient} (one connection, 1 to 16 threads), through two raw clients (one sequential, one that
 * writes 64 commands before it reads their replies) and through two peers in processes of their
 * own: go-qemu's {@code qmp.SocketMonitor} (one goroutine, then 16 sharing the monitor) and a raw
 * Python client (sequential). QEMU serves one client per monitor, so the clients take turns, in an
 * order that rotates from round to round.
 */
final class QmpSpeedBenchmark {
  private static final QueryStatus QUERY_STATUS = new QueryStatus();
  private static final byte[] REQUEST =
      "{\"execute\":\"query-status\"}\n".getBytes(StandardCharsets.UTF_8);
  private static final int BATCH = 64;
  private static final int MAX_SAMPLES = 1 << 20;

  /** Where a client's code runs. */
  enum Kind {
    /** The SDK's {@link QmpClient}, in this JVM. */
    SDK,
    /** {@link RawQmp}, in this JVM. */
    RAW,
    /** The go-qemu program, {@link Peers#goQemu()}. */
    GO_QEMU,
    /** The Python script, {@link Peers#python()}. */
    PYTHON
  }

  /** A way of sending {@code query-status}. */
  enum Client {
    SDK_SEQUENTIAL("SDK, sequential (execute on the calling thread)", Kind.SDK, 1),
    SDK_1("SDK, 1 thread", Kind.SDK, 1),
    SDK_4("SDK, 4 threads, one connection", Kind.SDK, 4),
    SDK_16("SDK, 16 threads, one connection", Kind.SDK, 16),
    SDK_ASYNC_64("SDK, executeAsync, 64 in flight", Kind.SDK, 1),
    RAW_SEQUENTIAL("raw, sequential", Kind.RAW, 1),
    RAW_PIPELINED("raw, pipelined (64 written, then 64 read)", Kind.RAW, 1),
    GO_QEMU_SEQUENTIAL("go-qemu, sequential", Kind.GO_QEMU, 1),
    GO_QEMU_16("go-qemu, 16 goroutines, one monitor", Kind.GO_QEMU, 16),
    PYTHON_SEQUENTIAL("raw Python, sequential", Kind.PYTHON, 1);

    final String label;
    final Kind kind;
    final int threads;

    Client(String label, Kind kind, int threads) {
      this.label = label;
      this.kind = kind;
      this.threads = threads;
    }
  }

  /**
   * The peer clients, each run as a process of its own: the go-qemu program built from {@code
   * src/main/go/qmppeer} and the script {@code src/main/python/qmp_sequential.py}. A missing one's
   * rows are left out.
   *
   * @param goQemu the go-qemu program, or null
   * @param python the Python script, or null
   */
  record Peers(@Nullable Path goQemu, @Nullable Path python) {
    boolean has(Client c) {
      return switch (c.kind) {
        case GO_QEMU -> goQemu != null;
        case PYTHON -> python != null;
        default -> true;
      };
    }
  }

  /**
   * One client's runs; for the clients that run in this JVM, also its threads' context switches and
   * the JVM's CPU time per round trip (NaN for the peers, which run as processes of their own).
   */
  record Result(
      Client client,
      List<Double> ratesPerRound,
      Stats latencyMs,
      double switchesPerCall,
      double cpuMicrosPerCall) {
    double rate() {
      return Stats.of(ratesPerRound).median();
    }
  }

  /** Latencies of one run. */
  private static final class Samples {
    final long[] nanos = new long[MAX_SAMPLES];
    final AtomicInteger count = new AtomicInteger();
    final AtomicLong ops = new AtomicLong();

    /** This JVM's context switches and CPU time over the run, from {@link ThreadSwitches}. */
    long switches;

    long cpuNanos;

    void add(long latency) {
      ops.incrementAndGet();
      int i = count.getAndIncrement();
      if (i < MAX_SAMPLES) {
        nanos[i] = latency;
      }
    }

    int recorded() {
      return Math.min(count.get(), MAX_SAMPLES);
    }
  }

  private QmpSpeedBenchmark() {}

  static Map<Client, Result> run(QemuInstance qemu, boolean quick, Peers peers, PrintStream log)
      throws Exception {
    int rounds = quick ? 1 : 3;
    Duration each = Duration.ofMillis(quick ? 1000 : 3000);
    Path socket = qemu.qmpSocket();
    Client[] clients = Arrays.stream(Client.values()).filter(peers::has).toArray(Client[]::new);
    for (Client c : Client.values()) {
      if (!peers.has(c)) {
        log.printf("  %-48s not run: no %s peer%n", c.label, c.kind);
      }
    }
    for (Client c : clients) { // warm-up: JIT, QEMU's allocator
      once(c, socket, Duration.ofMillis(quick ? 300 : 1000), peers, new Samples());
    }
    Map<Client, List<Double>> rates = new LinkedHashMap<>();
    Map<Client, List<Samples>> samples = new LinkedHashMap<>();
    for (Client c : clients) {
      rates.put(c, new ArrayList<>());
      samples.put(c, new ArrayList<>());
    }
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < clients.length; i++) {
        Client c = clients[(round + i) % clients.length];
        Samples s = new Samples();
        double seconds = once(c, socket, each, peers, s);
        Maps.present(rates, c).add(s.ops.get() / seconds);
        Maps.present(samples, c).add(s);
      }
    }
    Map<Client, Result> results = new LinkedHashMap<>();
    for (Client c : clients) {
      int total = Maps.present(samples, c).stream().mapToInt(Samples::recorded).sum();
      long[] all = new long[total];
      int at = 0;
      for (Samples s : Maps.present(samples, c)) {
        System.arraycopy(s.nanos, 0, all, at, s.recorded());
        at += s.recorded();
      }
      long ops = Maps.present(samples, c).stream().mapToLong(x -> x.ops.get()).sum();
      long switches = Maps.present(samples, c).stream().mapToLong(x -> x.switches).sum();
      long cpu = Maps.present(samples, c).stream().mapToLong(x -> x.cpuNanos).sum();
      boolean here = c.kind == Kind.SDK || c.kind == Kind.RAW;
      Result r =
          new Result(
              c,
              Maps.present(rates, c),
              Stats.ofNanosAsMillis(all, total),
              here && switches >= 0 && ops > 0 ? (double) switches / ops : Double.NaN,
              here && cpu >= 0 && ops > 0 ? cpu / 1e3 / ops : Double.NaN);
      results.put(c, r);
      log.printf(
          "  %-48s %8.0f/s  p50 %.3f ms  p99 %.3f ms  %.2f switches/call  %.1f us JVM CPU/call%n",
          c.label,
          r.rate(),
          r.latencyMs().median(),
          r.latencyMs().percentile(99),
          r.switchesPerCall(),
          r.cpuMicrosPerCall());
    }
    return results;
  }

  /** Runs one client for {@code duration}; returns the seconds it measured. */
  private static double once(Client c, Path socket, Duration duration, Peers peers, Samples s)
      throws Exception {
    if (c.kind == Kind.SDK) {
      try (QmpClient qmp = QmpClient.connect(socket)) {
        qmp.execute(QUERY_STATUS);
        long switches = ThreadSwitches.now();
        long cpu = ThreadSwitches.processCpuNanos();
        double seconds =
            switch (c) {
              case SDK_SEQUENTIAL -> sequential(qmp, duration, s);
              case SDK_ASYNC_64 -> async(qmp, duration, s);
              default -> threads(qmp, c.threads, duration, s);
            };
        s.switches = ThreadSwitches.now() - switches;
        s.cpuNanos = ThreadSwitches.processCpuNanos() - cpu;
        return seconds;
      }
    }
    if (c.kind == Kind.GO_QEMU || c.kind == Kind.PYTHON) {
      return peer(c, socket, duration, peers, s);
    }
    try (RawQmp raw = RawQmp.connectQmp(socket, Duration.ofSeconds(30))) {
      raw.deadline(duration.plusSeconds(30));
      long switches = ThreadSwitches.now();
      long cpu = ThreadSwitches.processCpuNanos();
      double seconds =
          c == Client.RAW_SEQUENTIAL
              ? rawSequential(raw, duration, s)
              : rawPipelined(raw, duration, s);
      s.switches = ThreadSwitches.now() - switches;
      s.cpuNanos = ThreadSwitches.processCpuNanos() - cpu;
      return seconds;
    }
  }

  /**
   * Runs a peer's process for {@code duration} and takes its figures. The process connects, warms
   * up with one command and measures on its own; its start-up is not counted. Its stderr goes to
   * this process's.
   */
  private static double peer(Client c, Path socket, Duration duration, Peers peers, Samples s)
      throws Exception {
    String millis = Long.toString(duration.toMillis());
    List<String> command =
        c.kind == Kind.GO_QEMU
            ? List.of(
                String.valueOf(peers.goQemu()),
                "-socket",
                socket.toString(),
                "-goroutines",
                Integer.toString(c.threads),
                "-millis",
                millis)
            : List.of(python(), String.valueOf(peers.python()), socket.toString(), millis);
    Process p =
        new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    CompletableFuture<List<String>> out = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r = p.inputReader(StandardCharsets.UTF_8)) {
                out.complete(r.lines().toList());
              } catch (IOException | RuntimeException e) {
                out.completeExceptionally(e);
              }
            },
            "bench-peer-output");
    reader.setDaemon(true);
    reader.start();
    Duration limit = duration.plusSeconds(60);
    try {
      if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(c.label + ": still running after " + limit);
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            c.label + ": exit " + p.exitValue() + " (its stderr is above): " + command);
      }
      QmpPeerOutput result = QmpPeerOutput.parse(out.get(30, TimeUnit.SECONDS));
      for (long n : result.nanos()) {
        s.add(n);
      }
      return result.seconds();
    } finally {
      p.destroyForcibly();
    }
  }

  private static String python() {
    return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  }

  private static double sequential(QmpClient qmp, Duration duration, Samples s) {
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    long now = start;
    while (now < end) {
      qmp.execute(QUERY_STATUS);
      long t = System.nanoTime();
      s.add(t - now);
      now = t;
    }
    return (now - start) / 1e9;
  }

  private static double threads(QmpClient qmp, int n, Duration duration, Samples s)
      throws InterruptedException {
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    long[] end = new long[1];
    for (int i = 0; i < n; i++) {
      Thread t =
          new Thread(
              () -> {
                try {
                  go.await();
                } catch (InterruptedException e) {
                  return;
                }
                long now = System.nanoTime();
                while (now < end[0]) {
                  qmp.execute(QUERY_STATUS);
                  long t2 = System.nanoTime();
                  s.add(t2 - now);
                  now = t2;
                }
              },
              "bench-qmp-" + i);
      workers.add(t);
      t.start();
    }
    long start = System.nanoTime();
    end[0] = start + duration.toNanos();
    go.countDown();
    for (Thread t : workers) {
      t.join();
    }
    return (System.nanoTime() - start) / 1e9;
  }

  private static double async(QmpClient qmp, Duration duration, Samples s)
      throws InterruptedException {
    Semaphore window = new Semaphore(BATCH);
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    while (System.nanoTime() < end) {
      window.acquire();
      long t0 = System.nanoTime();
      qmp.executeAsync(QUERY_STATUS)
          .whenComplete(
              (r, e) -> {
                s.add(System.nanoTime() - t0);
                window.release();
              });
    }
    window.acquire(BATCH);
    return (System.nanoTime() - start) / 1e9;
  }

  private static double rawSequential(RawQmp raw, Duration duration, Samples s) {
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    long now = start;
    while (now < end) {
      raw.write(REQUEST);
      if (raw.readReplies(1, null, 0) != 1) {
        throw new IllegalStateException("query-status failed");
      }
      long t = System.nanoTime();
      s.add(t - now);
      now = t;
    }
    return (now - start) / 1e9;
  }

  private static double rawPipelined(RawQmp raw, Duration duration, Samples s) {
    byte[] batch = new byte[REQUEST.length * BATCH];
    for (int i = 0; i < BATCH; i++) {
      System.arraycopy(REQUEST, 0, batch, i * REQUEST.length, REQUEST.length);
    }
    long[] arrivals = new long[BATCH];
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    long now = start;
    while (now < end) {
      raw.write(batch);
      if (raw.readReplies(BATCH, arrivals, 0) != BATCH) {
        throw new IllegalStateException("a query-status failed");
      }
      for (long a : arrivals) {
        s.add(a - now);
      }
      now = arrivals[BATCH - 1];
    }
    return (now - start) / 1e9;
  }

  /** The median rate of a client, or NaN when it did not run. */
  static double rate(Map<Client, Result> results, Client c) {
    Result r = results.get(c);
    return r == null ? Double.NaN : r.rate();
  }

  static String markdown(Map<Client, Result> results, List<JmhResults.Row> jmh) {
    List<Client> baselines =
        List.of(
            Client.RAW_PIPELINED,
            Client.RAW_SEQUENTIAL,
            Client.PYTHON_SEQUENTIAL,
            Client.GO_QEMU_SEQUENTIAL,
            Client.GO_QEMU_16);
    StringBuilder md = new StringBuilder();
    md.append(
        "| client | round trips/s, median (min to max over rounds) | latency p50 | latency p99"
            + " | / raw pipelined | / raw sequential | / raw Python sequential"
            + " | / go-qemu sequential | / go-qemu 16 goroutines |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Result r : results.values()) {
      Stats rounds = Stats.of(r.ratesPerRound());
      md.append("| ")
          .append(r.client().label)
          .append(" | ")
          .append(Stats.format(r.rate(), 0))
          .append(" (")
          .append(Stats.format(rounds.min(), 0))
          .append(" to ")
          .append(Stats.format(rounds.max(), 0))
          .append(") | ")
          .append(Stats.format(r.latencyMs().median(), 3))
          .append(" ms | ")
          .append(Stats.format(r.latencyMs().percentile(99), 3))
          .append(" ms |");
      for (Client b : baselines) {
        md.append(' ').append(Report.ratio(r.rate(), rate(results, b))).append(" |");
      }
      md.append('\n');
    }
    md.append(
        "\nLatency runs from a command's send to its reply's arrival; a pipelined command"
            + " waits behind the ones before it, so its latency includes that queue.\n\n");
    md.append(
        "**Where a round trip's time goes** (the clients in this JVM, over the same runs: the"
            + " context switches of the JVM's threads, from `/proc/self/task/*/status`, and the"
            + " JVM's CPU time, each divided by the round trips; a raw client's one thread sleeps"
            + " once per reply, a client with a reader thread sleeps twice: the reader until the"
            + " reply comes, the caller until the reader hands it over):\n\n");
    md.append("| client | context switches per round trip | JVM CPU per round trip |\n");
    md.append("|---|---:|---:|\n");
    for (Result r : results.values()) {
      if (Double.isNaN(r.switchesPerCall())) {
        continue;
      }
      md.append("| ")
          .append(r.client().label)
          .append(" | ")
          .append(Stats.format(r.switchesPerCall(), 2))
          .append(" | ")
          .append(Stats.format(r.cpuMicrosPerCall(), 1))
          .append(" us |\n");
    }
    md.append('\n');
    md.append(
        "**Allocation per command** (JMH `-prof gc`, `gc.alloc.rate.norm`: the bytes the"
            + " whole JVM allocated per operation, the client's reader and timer threads included):\n\n");
    if (jmh.isEmpty()) {
      md.append("Not measured in this run (the JMH part runs from scripts/bench.sh).\n");
    } else {
      md.append("| JMH benchmark | ops/s | B/op |\n|---|---:|---:|\n");
      for (JmhResults.Row row : jmh) {
        md.append("| ")
            .append(row.name())
            .append(" | ")
            .append(Stats.format(row.opsPerSecond(), 0))
            .append(Double.isFinite(row.opsError()) ? " ± " + Stats.format(row.opsError(), 0) : "")
            .append(" | ")
            .append(Stats.format(row.bytesPerOp(), 0))
            .append(" |\n");
      }
    }
    return md.toString();
  }
}

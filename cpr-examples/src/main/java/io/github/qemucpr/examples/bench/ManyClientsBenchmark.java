package io.github.qemucpr.examples.bench;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpCommand;
import io.github.qemucpr.qmp.command.QueryStatus;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The many-clients figure: what an idle {@link QmpClient} costs a JVM that holds hundreds of them,
 * as a host manager with one client per VM does. For each count N, it connects N clients to N fake
 * monitors served by one other process (a single-threaded NIO selector, so that the fake costs this
 * JVM nothing; its {@code query-commands} list is as long as QEMU 10.0's), subscribes a listener on
 * each, runs one {@code query-status} on each (after which the fake sends one {@code RESUME}
 * event), through the hand-written command and through the generated one (which asks {@code
 * query-commands} first), lets them idle, and reports the platform threads added (live threads of
 * {@link java.lang.management.ThreadMXBean}, against the JVM before any client) and the heap they
 * retain (used heap after full collections, against the lesser of the same JVM before the clients
 * and after they were closed), both per client. As many clients as the first count are connected,
 * used and closed first, so that class loading and the static caches at that scale are not counted.
 * Nothing here asserts: a benchmark is not a test.
 *
 * <pre>
 * java -XX:+UseSerialGC -cp cpr-examples/target/cpr.jar \
 *     io.github.qemucpr.examples.bench.ManyClientsBenchmark [--clients 100,500] [--idle-seconds 3]
 *     [--commands typed,generated] [--markdown FILE] [--targets FILE]
 * </pre>
 *
 * <p>{@code scripts/bench.sh --parts clients} runs it in a JVM of its own and puts its table into
 * {@code docs/benchmarks.md}.
 */
public final class ManyClientsBenchmark {

  /** The target per idle client: platform threads. */
  public static final double MAX_THREADS_PER_CLIENT = 0.05;

  /** The target per idle client: retained heap, in bytes. */
  public static final long MAX_HEAP_PER_CLIENT = 16 * 1024;

  /** The {@code query-status} each client runs. */
  enum Command {
    /** The hand-written command, which the SDK sends as it is. */
    TYPED("`command.QueryStatus`", new QueryStatus()),
    /**
     * The generated command, which the SDK checks against the list of QEMU's commands, asked once
     * per client with {@code query-commands} and kept.
     */
    GENERATED(
        "`qapi.runstate.QueryStatus` (generated: asks `query-commands` once)",
        new io.github.qemucpr.qmp.qapi.runstate.QueryStatus());

    final String label;
    final QmpCommand<?> command;

    Command(String label, QmpCommand<?> command) {
      this.label = label;
      this.command = command;
    }
  }

  /** What N idle clients cost. */
  record Result(
      Command command,
      int clients,
      int threadsAdded,
      long heapAdded,
      double connectSeconds,
      Map<String, Integer> threadsByName) {

    double threadsPerClient() {
      return (double) threadsAdded / clients;
    }

    double heapPerClient() {
      return (double) heapAdded / clients;
    }

    boolean met() {
      return threadsPerClient() <= MAX_THREADS_PER_CLIENT && heapPerClient() <= MAX_HEAP_PER_CLIENT;
    }
  }

  private ManyClientsBenchmark() {}

  /** Runs the benchmark, or with {@code --serve DIR N} the fake monitors. */
  public static void main(String[] args) throws Exception {
    if (args.length == 3 && args[0].equals("--serve")) {
      FakeMonitors.serve(Path.of(args[1]), Integer.parseInt(args[2]));
      return;
    }
    List<Integer> counts = List.of(100, 500);
    Duration idle = Duration.ofSeconds(3);
    Path markdown = null;
    Path targets = null;
    List<Command> commands = List.of(Command.TYPED, Command.GENERATED);
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--clients" ->
            counts = java.util.Arrays.stream(args[++i].split(",")).map(Integer::valueOf).toList();
        case "--idle-seconds" -> idle = Duration.ofSeconds(Long.parseLong(args[++i]));
        case "--markdown" -> markdown = Path.of(args[++i]);
        case "--targets" -> targets = Path.of(args[++i]);
        case "--commands" ->
            commands =
                java.util.Arrays.stream(args[++i].split(","))
                    .map(c -> Command.valueOf(c.toUpperCase(java.util.Locale.ROOT)))
                    .toList();
        default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
      }
    }
    List<Result> results = run(counts, commands, idle, System.out);
    String table = markdown(results);
    System.out.print(table);
    if (markdown != null) {
      Files.writeString(markdown, table);
    }
    if (targets != null) {
      Files.writeString(targets, targetRows(results));
    }
  }

  /** Measures each command and count in turn, in this JVM, against one fake process. */
  static List<Result> run(
      List<Integer> counts, List<Command> commands, Duration idle, PrintStream log)
      throws Exception {
    int most = counts.stream().mapToInt(Integer::intValue).max().orElse(0);
    Path dir = Files.createTempDirectory("many-clients");
    Process fake = startFake(dir, Math.max(most, 1));
    try {
      // After the fake started (its process reaper thread is the benchmark's, not the clients').
      int threadsBefore = liveThreads();
      Map<String, Integer> namesBefore = threadsByName();
      List<Result> results = new ArrayList<>();
      for (Command command : commands) {
        warmUp(dir, counts.isEmpty() ? 1 : counts.get(0), command);
        for (int n : counts) {
          Result r = measure(dir, n, command, idle, threadsBefore, namesBefore);
          log.printf(
              "  %d idle clients, %s: %d threads added (%.3f per client), %s of heap each%n",
              n,
              command.name().toLowerCase(java.util.Locale.ROOT),
              r.threadsAdded(),
              r.threadsPerClient(),
              Report.kib((long) r.heapPerClient()));
          results.add(r);
        }
      }
      return results;
    } finally {
      fake.getOutputStream().close(); // the fake exits when its input ends
      if (!fake.waitFor(5, TimeUnit.SECONDS)) {
        fake.destroy();
      }
      CprCycles.deleteRecursively(dir);
    }
  }

  /**
   * Clients connected, used and closed, as many as the first count: loads the classes and fills the
   * static caches and pools to their size at that scale, so that the baseline holds still.
   */
  private static void warmUp(Path dir, int n, Command command) throws InterruptedException {
    List<QmpClient> clients = new ArrayList<>(n);
    AtomicInteger events = new AtomicInteger();
    try {
      for (int i = 0; i < n; i++) {
        QmpClient qmp = QmpClient.connect(FakeMonitors.socket(dir, i));
        clients.add(qmp);
        qmp.subscribe(e -> events.incrementAndGet());
        qmp.execute(command.command);
      }
      waitFor(events, n);
    } finally {
      clients.forEach(QmpClient::close);
    }
  }

  private static Result measure(
      Path dir,
      int n,
      Command command,
      Duration idle,
      int threadsBefore,
      Map<String, Integer> namesBefore)
      throws InterruptedException {
    // What lingers from earlier clients (a pool's keep-alive) ends first.
    Thread.sleep(idle.toMillis());
    long heapBefore = usedHeapAfterGc();
    List<QmpClient> clients = new ArrayList<>(n);
    AtomicInteger events = new AtomicInteger();
    long start = System.nanoTime();
    int threadsAfter;
    long heapWith;
    double connectSeconds;
    Map<String, Integer> names;
    try {
      for (int i = 0; i < n; i++) {
        QmpClient qmp = QmpClient.connect(FakeMonitors.socket(dir, i));
        clients.add(qmp);
        qmp.subscribe(e -> events.incrementAndGet());
        qmp.execute(command.command);
      }
      connectSeconds = (System.nanoTime() - start) / 1e9;
      waitFor(events, n);
      Thread.sleep(idle.toMillis());
      heapWith = usedHeapAfterGc();
      threadsAfter = liveThreads();
      names = threadsByName();
      namesBefore.forEach((name, count) -> names.merge(name, -count, Integer::sum));
      names.values().removeIf(c -> c == 0);
      for (QmpClient qmp : clients) {
        if (!qmp.isOpen()) {
          throw new IllegalStateException("a client closed while idle: " + qmp);
        }
      }
    } finally {
      clients.forEach(QmpClient::close);
      clients.clear();
    }
    // The heap once they are closed, too: the lesser baseline counts whatever the JVM dropped
    // meanwhile of its own (caches, code) against the clients, not for them.
    Thread.sleep(idle.toMillis());
    long heapAfter = usedHeapAfterGc();
    long baseline = Math.min(heapBefore, heapAfter);
    return new Result(
        command, n, threadsAfter - threadsBefore, heapWith - baseline, connectSeconds, names);
  }

  private static void waitFor(AtomicInteger events, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (events.get() < n) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(events.get() + " of " + n + " events arrived in 30 s");
      }
      Thread.sleep(10);
    }
  }

  private static int liveThreads() {
    return ManagementFactory.getThreadMXBean().getThreadCount();
  }

  /** Live threads by name, digits folded ({@code qmp-#-reader}), to show which ones were added. */
  private static Map<String, Integer> threadsByName() {
    Map<String, Integer> names = new TreeMap<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive()) {
        names.merge(t.getName().replaceAll("[0-9]+", "#"), 1, Integer::sum);
      }
    }
    return names;
  }

  /**
   * The heap in use after full collections: the least of several readings, as each collection may
   * find less garbage than the next (finalizable and soft references, allocation in between).
   */
  private static long usedHeapAfterGc() throws InterruptedException {
    long least = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(50);
      least = Math.min(least, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return least;
  }

  private static Process startFake(Path dir, int n) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-XX:+UseSerialGC",
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                ManyClientsBenchmark.class.getName(),
                "--serve",
                dir.toString(),
                Integer.toString(n))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    if (!"ready".equals(line)) {
      p.destroy();
      throw new IOException("the fake monitors did not start: " + line);
    }
    return p;
  }

  /** The rows of the report's target table, one per count and target. */
  static String targetRows(List<Result> results) {
    StringBuilder rows = new StringBuilder();
    for (Result r : results) {
      rows.append("| idle clients <= ")
          .append(Stats.format(MAX_THREADS_PER_CLIENT, 2))
          .append(" platform threads each: ")
          .append(r.clients())
          .append(" clients, ")
          .append(r.command().label)
          .append(" | ")
          .append(Stats.format(r.threadsPerClient(), 3))
          .append(" | ")
          .append(r.threadsPerClient() <= MAX_THREADS_PER_CLIENT ? "yes" : "**no**")
          .append(" |\n");
      rows.append("| idle clients <= ")
          .append(MAX_HEAP_PER_CLIENT / 1024)
          .append(" KiB of heap each: ")
          .append(r.clients())
          .append(" clients, ")
          .append(r.command().label)
          .append(" | ")
          .append(Stats.format(r.heapPerClient() / 1024, 1))
          .append(" KiB | ")
          .append(r.heapPerClient() <= MAX_HEAP_PER_CLIENT ? "yes" : "**no**")
          .append(" |\n");
    }
    return rows.toString();
  }

  /** The table of the report, with the targets. */
  static String markdown(List<Result> results) {
    StringBuilder md = new StringBuilder();
    md.append(
        "| command | idle clients | platform threads added | threads per client | heap retained |"
            + " heap per client | connect + `query-status`, all | target met |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---|\n");
    for (Result r : results) {
      md.append("| ")
          .append(r.command().label)
          .append(" | ")
          .append(r.clients())
          .append(" | ")
          .append(r.threadsAdded())
          .append(" | ")
          .append(Stats.format(r.threadsPerClient(), 3))
          .append(" | ")
          .append(Report.kib(r.heapAdded()))
          .append(" | ")
          .append(Stats.format(r.heapPerClient() / 1024, 1))
          .append(" KiB | ")
          .append(Stats.format(r.connectSeconds(), 2))
          .append(" s | ")
          .append(r.met() ? "yes" : "**no**")
          .append(" |\n");
    }
    md.append("\nThreads added, by name: ");
    List<String> parts = new ArrayList<>();
    for (Result r : results) {
      parts.add(
          r.clients()
              + " clients, "
              + r.command().name().toLowerCase(java.util.Locale.ROOT)
              + ": "
              + (r.threadsByName().isEmpty() ? "none" : r.threadsByName()));
    }
    md.append(String.join("; ", parts)).append(".\n");
    return md.toString();
  }

  /**
   * N QMP monitors on {@code DIR/monitor-I.sock}, all served by one thread with a selector: each
   * greets, answers {@code qmp_capabilities}, {@code query-commands} and {@code query-status} (then
   * sends a {@code RESUME} event) and refuses anything else, as QEMU does. Replies echo the id. It
   * prints {@code ready} once every socket listens, and exits when its standard input ends.
   */
  static final class FakeMonitors {
    private static final byte[] GREETING =
        ("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 0, \"major\": 10},"
                + " \"package\": \"many-clients\"}, \"capabilities\": []}}\n")
            .getBytes(StandardCharsets.UTF_8);
    private static final Pattern EXECUTE = Pattern.compile("\"execute\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*([0-9]+)");

    /**
     * The {@code query-commands} list: as long as QEMU 10.0's (233 commands, 7 KB), which each
     * client reads and keeps, so that what it costs counts as it does against a real QEMU.
     */
    private static final String COMMANDS = commands(233);

    private FakeMonitors() {}

    private static String commands(int n) {
      List<String> names = new ArrayList<>(List.of("qmp_capabilities", "query-commands"));
      names.add("query-status");
      while (names.size() < n) {
        names.add(String.format("x-fake-command-%d", names.size())); // 16 to 18 characters
      }
      StringBuilder list = new StringBuilder("[");
      for (String name : names) {
        list.append(list.length() > 1 ? ", " : "")
            .append("{\"name\": \"")
            .append(name)
            .append("\"}");
      }
      return list.append(']').toString();
    }

    static Path socket(Path dir, int i) {
      return dir.resolve("monitor-" + i + ".sock");
    }

    static void serve(Path dir, int n) throws IOException {
      Selector selector = Selector.open();
      for (int i = 0; i < n; i++) {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket(dir, i)), 64);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
      }
      Thread stdin =
          new Thread(
              () -> {
                try {
                  while (System.in.read() >= 0) {
                    // until the benchmark ends
                  }
                } catch (IOException e) {
                  // the benchmark is gone
                }
                System.exit(0);
              },
              "stdin");
      stdin.setDaemon(true);
      stdin.start();
      System.out.println("ready");
      System.out.flush();
      ByteBuffer in = ByteBuffer.allocate(64 * 1024);
      while (true) {
        selector.select();
        for (SelectionKey key : selector.selectedKeys()) {
          try {
            if (!key.isValid()) {
              continue;
            }
            if (key.isAcceptable()) {
              SocketChannel c = ((ServerSocketChannel) key.channel()).accept();
              if (c != null) {
                c.configureBlocking(false);
                SelectionKey registered = c.register(selector, SelectionKey.OP_READ);
                Connection conn = new Connection(c, registered);
                registered.attach(conn);
                conn.send(GREETING);
              }
              continue;
            }
            Connection conn = (Connection) key.attachment();
            if (key.isWritable()) {
              conn.flush();
            }
            if (key.isReadable()) {
              in.clear();
              int read = conn.channel.read(in);
              if (read < 0) {
                key.cancel();
                conn.channel.close();
                continue;
              }
              in.flip();
              conn.received(in);
            }
          } catch (IOException e) {
            key.cancel();
            key.channel().close();
          }
        }
        selector.selectedKeys().clear();
      }
    }

    /** One client's connection: what it sent of a line so far, and what waits to be written. */
    private static final class Connection {
      final SocketChannel channel;
      final SelectionKey key;
      final StringBuilder partial = new StringBuilder();
      final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();

      Connection(SocketChannel channel, SelectionKey key) {
        this.channel = channel;
        this.key = key;
      }

      void received(ByteBuffer bytes) throws IOException {
        partial.append(StandardCharsets.UTF_8.decode(bytes));
        int nl;
        while ((nl = partial.indexOf("\n")) >= 0) {
          String line = partial.substring(0, nl);
          partial.delete(0, nl + 1);
          if (!line.isBlank()) {
            answer(line);
          }
        }
      }

      private void answer(String request) throws IOException {
        Matcher m = EXECUTE.matcher(request);
        String command = m.find() ? m.group(1) : "";
        Matcher id = ID.matcher(request);
        String tail = id.find() ? ", \"id\": " + id.group(1) + "}\n" : "}\n";
        String reply =
            switch (command) {
              case "qmp_capabilities" -> "{\"return\": {}" + tail;
              case "query-commands" -> "{\"return\": " + COMMANDS + tail;
              case "query-status" ->
                  "{\"return\": {\"status\": \"running\", \"singlestep\": false,"
                      + " \"running\": true}"
                      + tail;
              default ->
                  "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command "
                      + command
                      + " has not been found\"}"
                      + tail;
            };
        send(reply.getBytes(StandardCharsets.UTF_8));
        if (command.equals("query-status")) {
          long micros = System.currentTimeMillis() * 1000;
          send(
              ("{\"timestamp\": {\"seconds\": "
                      + micros / 1_000_000
                      + ", \"microseconds\": "
                      + micros % 1_000_000
                      + "}, \"event\": \"RESUME\"}\n")
                  .getBytes(StandardCharsets.UTF_8));
        }
      }

      void send(byte[] bytes) throws IOException {
        out.add(ByteBuffer.wrap(bytes));
        flush();
      }

      void flush() throws IOException {
        while (!out.isEmpty()) {
          ByteBuffer b = out.peek();
          channel.write(b);
          if (b.hasRemaining()) {
            key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            return;
          }
          out.poll();
        }
        key.interestOps(SelectionKey.OP_READ);
      }
    }
  }
}

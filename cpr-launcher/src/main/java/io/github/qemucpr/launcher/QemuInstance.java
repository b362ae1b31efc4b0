package io.github.qemucpr.launcher;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A running QEMU started by {@link QemuLauncher}: its process, its sockets, its serial console, and
 * what it printed. {@link #close()} kills it if it still runs and deletes its directory (the RAM
 * file belongs to the launcher). A JVM shutdown hook does the same if the caller forgets.
 * Thread-safe.
 */
public final class QemuInstance implements AutoCloseable {

  private static final Pattern BOOT_ID = Pattern.compile("boot_id ([0-9a-f-]{36})");
  private static final Pattern HEARTBEAT = Pattern.compile("heartbeat (\\d+)");

  private final List<String> commandLine;
  private final Path directory;
  private final Path qmpSocket;
  private final @Nullable Path qgaSocket;
  private final @Nullable Path consoleLog;
  private final @Nullable Path memoryFile;
  private final Path output;
  private final Process process;
  private final long startedNanos;
  private final Thread cleanupHook;
  private boolean closed;

  private QemuInstance(
      List<String> commandLine,
      Path directory,
      Path qmpSocket,
      @Nullable Path qgaSocket,
      @Nullable Path consoleLog,
      @Nullable Path memoryFile)
      throws IOException {
    this.commandLine = commandLine;
    this.directory = directory;
    this.qmpSocket = qmpSocket;
    this.qgaSocket = qgaSocket;
    this.consoleLog = consoleLog;
    this.memoryFile = memoryFile;
    this.output = directory.resolve("qemu.log");
    this.cleanupHook = new Thread(this::destroy, "qemu-instance-cleanup");
    this.startedNanos = System.nanoTime();
    this.process =
        new ProcessBuilder(commandLine)
            .directory(directory.toFile())
            .redirectInput(new File("/dev/null"))
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    Runtime.getRuntime().addShutdownHook(cleanupHook);
  }

  static QemuInstance start(
      List<String> commandLine,
      Path directory,
      Path qmpSocket,
      @Nullable Path qgaSocket,
      @Nullable Path consoleLog,
      @Nullable Path memoryFile,
      @Nullable Path awaitFile,
      Duration timeout) {
    QemuInstance qemu;
    try {
      qemu = new QemuInstance(commandLine, directory, qmpSocket, qgaSocket, consoleLog, memoryFile);
    } catch (IOException e) {
      deleteRecursively(directory);
      throw new QemuLaunchException(
          "cannot start " + commandLine.get(0) + ": " + e.getMessage(), e);
    }
    try {
      if (awaitFile == null) {
        qemu.awaitGreeting(timeout);
      } else {
        qemu.awaitFile(awaitFile, timeout);
      }
      return qemu;
    } catch (RuntimeException e) {
      qemu.close();
      throw e;
    }
  }

  /** QEMU's process id. */
  public long pid() {
    return process.pid();
  }

  /** The QMP socket. */
  public Path qmpSocket() {
    return qmpSocket;
  }

  /** The guest agent socket, when the launcher added one. */
  public Optional<Path> qgaSocket() {
    return Optional.ofNullable(qgaSocket);
  }

  /** The serial console file, when the launcher added one. */
  public Optional<Path> consoleLog() {
    return Optional.ofNullable(consoleLog);
  }

  /** The RAM file, for the shared-file backend. */
  public Optional<Path> memoryFile() {
    return Optional.ofNullable(memoryFile);
  }

  /** The instance's own directory, deleted by {@link #close()}. */
  public Path directory() {
    return directory;
  }

  /** The command line QEMU runs. */
  public List<String> commandLine() {
    return commandLine;
  }

  /** The time since the process started. */
  public Duration uptime() {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }

  /** Whether QEMU still runs. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** What QEMU printed on stdout and stderr so far. */
  public String output() {
    return readText(output);
  }

  /** The serial console so far, with {@code \r\n} turned into {@code \n}; empty without one. */
  public String console() {
    return consoleLog == null ? "" : readText(consoleLog).replace("\r\n", "\n");
  }

  /** The test guest's boot id from its console ({@code boot_id <uuid>}), once printed. */
  public Optional<String> bootId() {
    Matcher m = BOOT_ID.matcher(console());
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /** The number of the test guest's last {@code heartbeat N} console line, if any. */
  public OptionalLong lastHeartbeat() {
    Matcher m = HEARTBEAT.matcher(console());
    long last = -1;
    while (m.find()) {
      last = Long.parseLong(m.group(1));
    }
    return last < 0 ? OptionalLong.empty() : OptionalLong.of(last);
  }

  /**
   * Waits until the console shows a heartbeat numbered above {@code after}, and returns it.
   *
   * @throws QemuLaunchException if none comes within {@code timeout}, or QEMU exits
   */
  public long awaitHeartbeatAfter(long after, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      OptionalLong last = lastHeartbeat();
      if (last.isPresent() && last.getAsLong() > after) {
        return last.getAsLong();
      }
      failIfExited("while waiting for a heartbeat");
      if (System.nanoTime() - deadline > 0) {
        throw new QemuLaunchException(
            "no heartbeat after " + after + " within " + timeout.toMillis() + " ms" + describe(),
            null);
      }
      sleep(50);
    }
  }

  /**
   * Waits until {@code file} exists, failing early if QEMU exits.
   *
   * @throws QemuLaunchException on timeout or exit, with QEMU's output
   */
  public void awaitFile(Path file, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!Files.exists(file)) {
      failIfExited("while waiting for " + file);
      if (System.nanoTime() - deadline > 0) {
        throw new QemuLaunchException(
            "QEMU did not create " + file + " within " + timeout.toMillis() + " ms" + describe(),
            null);
      }
      sleep(10);
    }
  }

  /**
   * Waits until the QMP monitor greets: the socket file appears early in QEMU's start-up, before
   * the memory backends exist; the greeting comes when the machine is complete. The probe closes at
   * once, and QEMU then serves the next client.
   */
  private void awaitGreeting(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    @Nullable IOException last = null;
    while (true) {
      failIfExited("before its QMP monitor greeted");
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        throw new QemuLaunchException(
            "QEMU did not greet on "
                + qmpSocket
                + " within "
                + timeout.toMillis()
                + " ms"
                + (last != null ? " (" + last.getMessage() + ")" : "")
                + describe(),
            last);
      }
      if (Files.exists(qmpSocket)) {
        try {
          String greeting = readLine(qmpSocket, left);
          if (greeting.startsWith("{\"QMP\"")) {
            return;
          }
          throw new QemuLaunchException(qmpSocket + " is not a QMP monitor: " + greeting, null);
        } catch (IOException e) {
          last = e; // not listening yet: look again
        }
      }
      sleep(10);
    }
  }

  private static String readLine(Path socket, long timeoutMillis) throws IOException {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        Selector selector = Selector.open()) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      channel.configureBlocking(false);
      channel.register(selector, SelectionKey.OP_READ);
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      ByteBuffer buffer = ByteBuffer.allocate(4096);
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
      while (true) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          throw new IOException("no greeting yet");
        }
        selector.select(left);
        buffer.clear();
        int n = channel.read(buffer);
        if (n < 0) {
          throw new IOException("closed before greeting");
        }
        for (int i = 0; i < n; i++) {
          byte b = buffer.get(i);
          if (b == '\n') {
            return line.toString(StandardCharsets.UTF_8);
          }
          line.write(b);
        }
      }
    }
  }

  /**
   * Sends a signal by name, such as {@code STOP}, {@code CONT} or {@code KILL}.
   *
   * @throws IllegalArgumentException if {@code signal} is not a plain signal name
   * @throws QemuLaunchException if {@code kill} fails, for example because QEMU has exited
   */
  public void signal(String signal) {
    Objects.requireNonNull(signal, "signal");
    if (!signal.matches("[A-Z0-9]+")) {
      throw new IllegalArgumentException("signal must be a name such as STOP or KILL: " + signal);
    }
    try {
      Process kill =
          new ProcessBuilder("kill", "-s", signal, Long.toString(pid()))
              .redirectErrorStream(true)
              .start();
      String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new QemuLaunchException("kill -s " + signal + " " + pid() + " failed: " + out, null);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QemuLaunchException("interrupted while signalling QEMU", e);
    }
  }

  /** Kills QEMU with SIGKILL, as a crash would, and waits until it is gone. */
  public void kill9() {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(10));
  }

  /**
   * Waits for QEMU to exit, for example after {@code quit}.
   *
   * @return the exit status
   * @throws QemuLaunchException if it still runs after {@code timeout}
   */
  public int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new QemuLaunchException(
            "QEMU " + pid() + " still runs after " + timeout.toMillis() + " ms", null);
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QemuLaunchException("interrupted while waiting for QEMU to exit", e);
    }
  }

  /**
   * Lets QEMU outlive this object and the JVM: {@link #close()} and the shutdown hook then leave
   * the process and its directory alone, and the caller stops QEMU (for example with QMP {@code
   * quit}) and deletes {@link #directory()} itself. For demos that hand a running VM over to the
   * user. Idempotent.
   */
  public synchronized void detach() {
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(cleanupHook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down; the hook sees closed and leaves QEMU alone
    }
  }

  /** Kills QEMU if it still runs and deletes the instance's directory. Idempotent. */
  @Override
  public void close() {
    destroy();
    try {
      Runtime.getRuntime().removeShutdownHook(cleanupHook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down and runs the hook anyway
    }
  }

  private synchronized void destroy() {
    if (closed) {
      return;
    }
    closed = true;
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    deleteRecursively(directory);
  }

  private void failIfExited(String when) {
    if (!process.isAlive()) {
      throw new QemuLaunchException(
          "QEMU exited with status " + process.exitValue() + " " + when + describe(), null);
    }
  }

  private String describe() {
    String console = console();
    return "\n--- command line:\n"
        + String.join(" ", commandLine)
        + "\n--- QEMU output:\n"
        + output()
        + (console.isEmpty()
            ? ""
            : "\n--- console (last 2000 chars):\n"
                + console.substring(Math.max(0, console.length() - 2000)));
  }

  private static String readText(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.ISO_8859_1) : "";
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // Best effort: a temp directory left behind is harmless.
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QemuLaunchException("interrupted", e);
    }
  }

  @Override
  public String toString() {
    return "QemuInstance[pid=" + process.pid() + ", qmp=" + qmpSocket + "]";
  }
}

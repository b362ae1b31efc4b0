package io.github.qemucpr.qmp.testing;

import io.github.qemucpr.qmp.QemuVersion;
import io.github.qemucpr.qmp.QmpClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A real {@code qemu-system-x86_64} for integration tests: a machine without a guest OS, under TCG,
 * its RAM in a {@code memory-backend-file} with {@code share=on} under {@code /dev/shm}, its QMP
 * monitor on a Unix socket in a fresh temporary directory. The VM runs from the start (no {@code
 * -S}).
 *
 * <pre>{@code
 * try (QemuProcess qemu = QemuProcess.builder().memoryMiB(64).start();
 *     QmpClient qmp = qemu.connect()) {
 *   qmp.execute(new QueryStatus());
 * }
 * }</pre>
 *
 * <p>A missing QEMU, or one older than 10.0, fails the test with the command that installs QEMU
 * 10; it never skips. {@link #close()} kills QEMU and deletes the directory and the RAM file it
 * created, so nothing outlives the test. Thread-safe.
 */
public final class QemuProcess implements AutoCloseable {

  /** The command that installs QEMU 10 from Debian 12's bookworm-backports. */
  public static final String INSTALL_COMMAND = "sudo scripts/install-qemu.sh";

  private static final Pattern VERSION = Pattern.compile("version (\\d+)\\.(\\d+)\\.(\\d+)");
  private static final Path SHM = Path.of("/dev/shm");
  private static final Object VERSION_LOCK = new Object();
  private static @Nullable QemuVersion checkedVersion;

  private final Process process;
  private final Path directory;
  private final Path qmpSocket;
  private final Path stderrFile;
  private final @Nullable Path memoryFile;
  private final boolean ownsMemoryFile;
  private final List<String> commandLine;
  private final Thread shutdownHook;
  private boolean closed;

  private QemuProcess(Builder b) throws IOException {
    String binary = binary();
    requireQemu10(binary);
    this.directory = Files.createTempDirectory(tempRoot(), "qemu-cpr-it-");
    this.qmpSocket = directory.resolve("qmp.sock");
    this.stderrFile = directory.resolve("qemu.stderr");
    int mib = b.memoryMiB != 0 ? b.memoryMiB : 64;
    long bytes = (long) mib << 20;
    String backend;
    switch (b.backend) {
      case FILE:
        this.memoryFile = b.memoryFile != null ? b.memoryFile : uniqueShmFile();
        this.ownsMemoryFile = b.memoryFile == null;
        backend =
            "memory-backend-file,id=ram0,size=" + bytes + ",mem-path=" + memoryFile + ",share=on";
        break;
      case MEMFD:
        this.memoryFile = null;
        this.ownsMemoryFile = false;
        backend = "memory-backend-memfd,id=ram0,size=" + bytes + ",share=on";
        break;
      default:
        this.memoryFile = null;
        this.ownsMemoryFile = false;
        backend = "memory-backend-ram,id=ram0,size=" + bytes;
        break;
    }
    List<String> cmd = new ArrayList<>();
    cmd.addAll(
        List.of(
            binary,
            "-nodefaults",
            "-nographic",
            "-accel",
            "tcg",
            "-machine",
            b.machine + ",memory-backend=ram0",
            "-m",
            mib + "M",
            "-object",
            backend,
            "-qmp",
            "unix:" + qmpSocket + ",server=on,wait=off"));
    if (b.name != null) {
      cmd.addAll(List.of("-name", b.name));
    }
    if (b.incomingDefer) {
      cmd.addAll(List.of("-incoming", "defer"));
    }
    cmd.addAll(b.extraArgs);
    this.commandLine = List.copyOf(cmd);
    this.process =
        new ProcessBuilder(commandLine)
            .directory(directory.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectOutput(directory.resolve("qemu.stdout").toFile())
            .redirectError(stderrFile.toFile())
            .start();
    this.shutdownHook = new Thread(this::destroy, "qemu-process-cleanup-" + process.pid());
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** A builder with the defaults: 64 MiB in a shared file under /dev/shm, machine q35. */
  public static Builder builder() {
    return new Builder();
  }

  /** Starts a QEMU with the defaults of {@link #builder()}. */
  public static QemuProcess start() {
    return builder().start();
  }

  /**
   * A fresh, unique path under {@code /dev/shm} that does not exist yet, for a RAM file that must
   * outlive one QEMU (save, then restore in another): give it to {@link Builder#memoryFile(Path)}
   * and delete it yourself.
   */
  public static Path uniqueShmFile() {
    return SHM.resolve("qemu-cpr-test-" + UUID.randomUUID() + ".ram");
  }

  /**
   * Checks that {@code qemu-system-x86_64} exists and is 10.0 or newer, once per JVM.
   *
   * @throws IllegalStateException naming {@link #INSTALL_COMMAND} otherwise
   */
  public static QemuVersion requireQemu10() {
    return requireQemu10(binary());
  }

  private static QemuVersion requireQemu10(String binary) {
    synchronized (VERSION_LOCK) {
      if (checkedVersion != null) {
        return checkedVersion;
      }
      String output;
      try {
        Process p =
            new ProcessBuilder(binary, "--version").redirectErrorStream(true).start();
        output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException(binary + " --version did not finish in 10 s");
        }
      } catch (IOException e) {
        throw new IllegalStateException(
            "the integration tests need QEMU 10 (" + binary + "), which was not found: "
                + e.getMessage() + ". Install it with: " + INSTALL_COMMAND,
            e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while checking the QEMU version", e);
      }
      Matcher m = VERSION.matcher(output);
      if (!m.find()) {
        throw new IllegalStateException(
            "cannot read the version of " + binary + " from: " + output.strip()
                + ". The integration tests need QEMU 10; install it with: " + INSTALL_COMMAND);
      }
      QemuVersion version =
          new QemuVersion(
              Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
              Integer.parseInt(m.group(3)));
      if (!version.isAtLeast(10, 0)) {
        throw new IllegalStateException(
            binary + " is QEMU " + version + ", but the integration tests need QEMU 10.0 or newer"
                + " (cpr-reboot with the channels form, exit-on-error). Install it with: "
                + INSTALL_COMMAND);
      }
      checkedVersion = version;
      return version;
    }
  }

  /** The QEMU binary: the system property {@code qemu.binary}, or {@code qemu-system-x86_64}. */
  private static String binary() {
    return System.getProperty("qemu.binary", "qemu-system-x86_64");
  }

  private static Path tempRoot() {
    // A Unix socket path must fit in 108 bytes; a long java.io.tmpdir would not leave room.
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    return tmp.toString().length() <= 40 ? tmp : Path.of("/tmp");
  }

  /**
   * Waits until QEMU greets on its QMP socket. The socket file appears early in QEMU's start-up,
   * before the memory backends exist; the greeting comes only once the main loop runs, when the
   * machine is complete. The probe connection is closed at once; QEMU then serves the next client.
   */
  private void awaitGreeting(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    @Nullable IOException lastFailure = null;
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "QEMU exited with status " + process.exitValue() + " before it was ready.\n"
                + "command: " + String.join(" ", commandLine) + "\nstderr:\n" + stderr());
      }
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        throw new IllegalStateException(
            "QEMU did not greet on its QMP socket " + qmpSocket + " within " + timeout.toMillis()
                + " ms" + (lastFailure != null ? " (" + lastFailure + ")" : "") + ".\ncommand: "
                + String.join(" ", commandLine) + "\nstderr:\n" + stderr());
      }
      if (Files.exists(qmpSocket)) {
        try {
          String greeting = readGreeting((int) Math.max(1, left));
          if (greeting.startsWith("{\"QMP\"")) {
            return;
          }
          throw new IllegalStateException("not a QMP greeting on " + qmpSocket + ": " + greeting);
        } catch (IOException e) {
          lastFailure = e; // not listening yet, or QEMU is exiting: look again
        }
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for QEMU's QMP socket", e);
      }
    }
  }

  private String readGreeting(int timeoutMillis) throws IOException {
    try (AFUNIXSocket probe = AFUNIXSocket.newInstance()) {
      probe.connect(AFUNIXSocketAddress.of(qmpSocket));
      probe.setSoTimeout(timeoutMillis);
      InputStream in = probe.getInputStream();
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      int b;
      while ((b = in.read()) != -1 && b != '\n') {
        line.write(b);
      }
      return line.toString(StandardCharsets.UTF_8);
    }
  }

  /** QEMU's process id. */
  public long pid() {
    return process.pid();
  }

  /** The QMP Unix socket. */
  public Path qmpSocket() {
    return qmpSocket;
  }

  /** The temporary directory that holds the socket and QEMU's output. */
  public Path directory() {
    return directory;
  }

  /** The RAM file ({@code mem-path}); empty for the memfd and anonymous backends. */
  public Optional<Path> memoryFile() {
    return Optional.ofNullable(memoryFile);
  }

  /** The full command line QEMU was started with. */
  public List<String> commandLine() {
    return commandLine;
  }

  /** Everything QEMU wrote to stderr so far. */
  public String stderr() {
    try {
      return Files.readString(stderrFile, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(stderr unavailable: " + e.getMessage() + ")";
    }
  }

  /** Whether QEMU still runs. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Connects a client to the QMP socket; the caller closes it. */
  public QmpClient connect() {
    return QmpClient.connect(qmpSocket);
  }

  /**
   * Sends a signal by name, such as {@code STOP}, {@code CONT}, {@code TERM} or {@code KILL}.
   *
   * @throws IllegalStateException if {@code kill} fails, for example because QEMU has exited
   */
  public void kill(String signal) {
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
        throw new IllegalStateException("kill -s " + signal + " " + pid() + " failed: " + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while signalling QEMU", e);
    }
  }

  /** Kills QEMU with SIGKILL and waits until it is gone. */
  public void kill9() {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(10));
  }

  /**
   * Waits for QEMU to exit, for example after {@code quit}.
   *
   * @return the exit status
   * @throws IllegalStateException if it still runs after {@code timeout}
   */
  public int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new IllegalStateException(
            "QEMU " + pid() + " still runs after " + timeout.toMillis() + " ms");
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for QEMU to exit", e);
    }
  }

  /** Kills QEMU if it still runs, and deletes its directory and the RAM file it created. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    destroy();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is shutting down: the hook runs or has run.
    }
  }

  private void destroy() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    deleteRecursively(directory);
    if (ownsMemoryFile && memoryFile != null) {
      try {
        Files.deleteIfExists(memoryFile);
      } catch (IOException e) {
        // Best effort; /dev/shm is cleared at reboot.
      }
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

  @Override
  public String toString() {
    return "QemuProcess[pid=" + process.pid() + ", socket=" + qmpSocket + "]";
  }

  /** The kind of RAM backend. */
  private enum Backend {
    FILE,
    MEMFD,
    ANONYMOUS
  }

  /** Options for a {@link QemuProcess}. Each may be set once. Not thread-safe. */
  public static final class Builder {
    private int memoryMiB;
    private Backend backend = Backend.FILE;
    private boolean backendSet;
    private @Nullable Path memoryFile;
    private boolean incomingDefer;
    private String machine = "q35";
    private boolean machineSet;
    private @Nullable String name;
    private final List<String> extraArgs = new ArrayList<>();
    private Duration startTimeout = Duration.ofSeconds(10);

    private Builder() {}

    /** Guest RAM in MiB; default 64. */
    public Builder memoryMiB(int mib) {
      if (memoryMiB != 0) {
        throw new IllegalStateException("memoryMiB was already set to " + memoryMiB);
      }
      if (mib < 8 || mib > 16384) {
        throw new IllegalArgumentException("memoryMiB must be 8..16384: " + mib);
      }
      this.memoryMiB = mib;
      return this;
    }

    /** RAM in {@code memory-backend-memfd,share=on} instead of a file. */
    public Builder memfd() {
      setBackend(Backend.MEMFD);
      return this;
    }

    /** RAM in anonymous memory ({@code memory-backend-ram}, not shared). */
    public Builder anonymousMemory() {
      setBackend(Backend.ANONYMOUS);
      return this;
    }

    /**
     * RAM in this file (shared), which the caller owns: {@link QemuProcess#close()} leaves it in
     * place, so that another QEMU can restore from it. See {@link QemuProcess#uniqueShmFile()}.
     */
    public Builder memoryFile(Path file) {
      setBackend(Backend.FILE);
      this.memoryFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /** Starts with {@code -incoming defer}: run state {@code inmigrate}, for migrate-incoming. */
    public Builder incomingDefer() {
      if (incomingDefer) {
        throw new IllegalStateException("incomingDefer was already set");
      }
      this.incomingDefer = true;
      return this;
    }

    /** The machine type, {@code q35} (default) or {@code pc}. */
    public Builder machine(String machine) {
      if (machineSet) {
        throw new IllegalStateException("machine was already set to " + this.machine);
      }
      this.machine = Objects.requireNonNull(machine, "machine");
      this.machineSet = true;
      return this;
    }

    /** {@code -name}, also shown in QEMU's messages. */
    public Builder name(String name) {
      if (this.name != null) {
        throw new IllegalStateException("name was already set to " + this.name);
      }
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    /** More arguments, appended; may be called repeatedly. */
    public Builder extraArgs(String... args) {
      for (String a : args) {
        extraArgs.add(Objects.requireNonNull(a, "extra argument"));
      }
      return this;
    }

    /** How long to wait for QEMU to be ready; default 10 s. */
    public Builder startTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("startTimeout must be positive: " + timeout);
      }
      this.startTimeout = timeout;
      return this;
    }

    /**
     * Starts QEMU and waits until it greets on its QMP socket, its machine complete.
     *
     * @throws IllegalStateException if QEMU is missing or too old (naming {@link
     *     #INSTALL_COMMAND}), exits early (with its stderr), or does not open the socket in time
     */
    public QemuProcess start() {
      QemuProcess qemu;
      try {
        qemu = new QemuProcess(this);
      } catch (IOException e) {
        throw new IllegalStateException("cannot start QEMU: " + e.getMessage(), e);
      }
      try {
        qemu.awaitGreeting(startTimeout);
        return qemu;
      } catch (RuntimeException e) {
        qemu.close();
        throw e;
      }
    }

    private void setBackend(Backend b) {
      if (backendSet) {
        throw new IllegalStateException("the memory backend was already set to " + backend);
      }
      this.backend = b;
      this.backendSet = true;
    }
  }
}

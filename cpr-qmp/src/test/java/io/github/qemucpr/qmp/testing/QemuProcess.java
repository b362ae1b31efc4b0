package io.github.qemucpr.qmp.testing;

import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLaunchException;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QemuVersion;
import io.github.qemucpr.qmp.QmpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A real {@code qemu-system-x86_64} for integration tests: a machine without a guest OS, under TCG,
 * its RAM in a {@code memory-backend-file} with {@code share=on} under {@code /dev/shm}, its QMP
 * monitor on a Unix socket in a fresh temporary directory. The VM runs from the start (no {@code
 * -S}). A thin test-facing wrapper over {@link QemuLauncher}, which knows the command line.
 *
 * <pre>{@code
 * try (QemuProcess qemu = QemuProcess.builder().memoryMiB(64).start();
 *     QmpClient qmp = qemu.connect()) {
 *   qmp.execute(new QueryStatus());
 * }
 * }</pre>
 *
 * <p>A missing QEMU, or one older than 10.0, fails the test with the command that installs QEMU 10;
 * it never skips. {@link #close()} kills QEMU and deletes the directory and the RAM file it
 * created, so nothing outlives the test. Thread-safe.
 */
public final class QemuProcess implements AutoCloseable {

  /** The command that installs QEMU 10 from Debian 12's bookworm-backports. */
  public static final String INSTALL_COMMAND = QemuLauncher.INSTALL_COMMAND;

  private final QemuLauncher launcher;
  private final QemuInstance instance;

  private QemuProcess(QemuLauncher launcher, QemuInstance instance) {
    this.launcher = launcher;
    this.instance = instance;
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
    return QemuLauncher.uniqueShmFile();
  }

  /**
   * Checks that {@code qemu-system-x86_64} exists and is 10.0 or newer, by starting one.
   *
   * @throws QemuLaunchException naming {@link #INSTALL_COMMAND} otherwise
   */
  public static QemuVersion requireQemu10() {
    try (QemuProcess qemu = start();
        QmpClient qmp = qemu.connect()) {
      return qmp.greeting().version();
    }
  }

  /** QEMU's process id. */
  public long pid() {
    return instance.pid();
  }

  /** The QMP Unix socket. */
  public Path qmpSocket() {
    return instance.qmpSocket();
  }

  /** The temporary directory that holds the socket and QEMU's output. */
  public Path directory() {
    return instance.directory();
  }

  /** The RAM file ({@code mem-path}); empty for the memfd and anonymous backends. */
  public Optional<Path> memoryFile() {
    return instance.memoryFile();
  }

  /** The full command line QEMU was started with. */
  public List<String> commandLine() {
    return instance.commandLine();
  }

  /** Everything QEMU wrote to stdout and stderr so far. */
  public String stderr() {
    return instance.output();
  }

  /** Whether QEMU still runs. */
  public boolean isAlive() {
    return instance.isAlive();
  }

  /** Connects a client to the QMP socket; the caller closes it. */
  public QmpClient connect() {
    return QmpClient.connect(instance.qmpSocket());
  }

  /** Sends a signal by name, such as {@code STOP}, {@code CONT}, {@code TERM} or {@code KILL}. */
  public void kill(String signal) {
    instance.signal(signal);
  }

  /** Kills QEMU with SIGKILL and waits until it is gone. */
  public void kill9() {
    instance.kill9();
  }

  /** Waits for QEMU to exit, for example after {@code quit}, and returns its exit status. */
  public int awaitExit(Duration timeout) {
    return instance.awaitExit(timeout);
  }

  /** Kills QEMU if it still runs, and deletes its directory and the RAM file it created. */
  @Override
  public void close() {
    try {
      instance.close();
    } finally {
      launcher.close();
    }
  }

  @Override
  public String toString() {
    return "QemuProcess[pid=" + pid() + ", socket=" + qmpSocket() + "]";
  }

  /** Options for a {@link QemuProcess}. Each may be set once. Not thread-safe. */
  public static final class Builder {
    private final QemuLauncher.Builder launcher = QemuLauncher.builder();
    private boolean incomingDefer;
    private final List<String> extraArgs = new ArrayList<>();
    private @Nullable Duration startTimeout;

    private Builder() {}

    /** Guest RAM in MiB; default 64. */
    public Builder memoryMiB(int mib) {
      launcher.memoryMiB(mib);
      return this;
    }

    /** RAM in {@code memory-backend-memfd,share=on} instead of a file. */
    public Builder memfd() {
      launcher.memfd();
      return this;
    }

    /** RAM in anonymous memory ({@code memory-backend-ram}, not shared). */
    public Builder anonymousMemory() {
      launcher.anonymousMemory();
      return this;
    }

    /**
     * RAM in this file (shared), which the caller owns: {@link QemuProcess#close()} leaves it in
     * place, so that another QEMU can restore from it. See {@link QemuProcess#uniqueShmFile()}.
     */
    public Builder memoryFile(Path file) {
      launcher.memoryFile(file);
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
      launcher.machine(machine);
      return this;
    }

    /** {@code -name}, also shown in QEMU's messages. */
    public Builder name(String name) {
      launcher.name(name);
      return this;
    }

    /** More arguments, appended; may be called repeatedly. */
    public Builder extraArgs(String... args) {
      for (String a : args) {
        extraArgs.add(Objects.requireNonNull(a, "extra argument"));
      }
      return this;
    }

    /** How long to wait for QEMU to be ready; default 20 s. */
    public Builder startTimeout(Duration timeout) {
      launcher.startTimeout(timeout);
      this.startTimeout = timeout;
      return this;
    }

    /**
     * Starts QEMU and waits until it greets on its QMP socket, its machine complete.
     *
     * @throws QemuLaunchException if QEMU is missing or too old (naming {@link #INSTALL_COMMAND}),
     *     exits early (with its output), or does not open the socket in time
     */
    public QemuProcess start() {
      QemuLauncher built = launcher.extraArgs(extraArgs.toArray(String[]::new)).build();
      List<String> more = incomingDefer ? List.of("-incoming", "defer") : List.of();
      try {
        return new QemuProcess(built, built.start(more, true));
      } catch (RuntimeException e) {
        built.close();
        throw e;
      }
    }
  }
}

package io.github.qemucpr.qga.testing;

import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLaunchException;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.GuestAgentConnectException;
import io.github.qemucpr.qga.GuestAgentConnectionClosedException;
import io.github.qemucpr.qga.GuestAgentTimeoutException;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.testing.TestGuestImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * The shared test guest (a Debian kernel and an initramfs running qemu-ga and a console heartbeat,
 * built by {@code scripts/build-test-guest.sh} on first use) booted under real QEMU 10 with TCG,
 * for the integration tests of every module: a thin wrapper over {@link QemuLauncher} (which owns
 * the command line) that waits until the guest agent answers. Each guest gets a fresh temporary
 * directory with its QMP socket, agent socket, console log and QEMU's output, and its RAM in a
 * unique {@code memory-backend-file,share=on} under {@code /dev/shm}. {@link #close()} kills QEMU
 * and deletes every file the guest owns, whatever state it is in.
 *
 * <pre>{@code
 * try (TestGuest guest = TestGuest.boot();
 *     GuestAgentClient qga = guest.connectAgent();
 *     QmpClient qmp = guest.connectQmp()) {
 *   qga.ping();
 * }
 * }</pre>
 *
 * <p>For a cpr-reboot restore cycle, keep the source guest open (it owns the RAM file) and start
 * the target with {@link #startIncoming()}: the same arguments plus {@code -incoming defer}, on the
 * same RAM file. Or give any RAM file to {@link Builder#memoryFile(Path)}.
 *
 * <p>A missing or old QEMU fails the test with the command that installs it ({@code sudo
 * scripts/install-qemu.sh}); it never skips. cpr-api's tests need {@code cpr-launcher} (test scope)
 * next to this test-jar.
 */
public final class TestGuest implements AutoCloseable {

  private final QemuLauncher launcher;
  private final boolean ownsLauncher;
  private final QemuInstance instance;
  private volatile @Nullable Duration bootTime;

  private TestGuest(QemuLauncher launcher, boolean ownsLauncher, QemuInstance instance) {
    this.launcher = launcher;
    this.ownsLauncher = ownsLauncher;
    this.instance = instance;
  }

  /** Boots a guest with the defaults (256 MiB, file-backed RAM, S3 on) and waits for its agent. */
  public static TestGuest boot() {
    return builder().start();
  }

  /** Options for a guest. */
  public static Builder builder() {
    return new Builder();
  }

  /** Options for a guest. Each may be set once. Not thread-safe. */
  public static final class Builder {
    private final QemuLauncher.Builder launcher = QemuLauncher.builder();
    private boolean incomingDefer;
    private Duration bootTimeout = Duration.ofSeconds(90);

    private Builder() {}

    /** Guest RAM in MiB. Default 256. */
    public Builder memoryMiB(int mib) {
      launcher.memoryMiB(mib);
      return this;
    }

    /** RAM in {@code memory-backend-memfd,share=on} instead of a file in /dev/shm. */
    public Builder memfd() {
      launcher.memfd();
      return this;
    }

    /**
     * {@code -machine aux-ram-share=on}, which a cpr-transfer needs: QEMU then maps the firmware
     * and ROMs from memfds it can hand over. Default: off.
     */
    public Builder auxRamShare() {
      launcher.auxRamShare();
      return this;
    }

    /** {@code -global ICH9-LPC.disable_s3=1}: no S3 for the guest. Default: S3 on. */
    public Builder disableS3() {
      launcher.s3(false);
      return this;
    }

    /**
     * {@code -incoming defer}: QEMU waits in runstate {@code inmigrate} for {@code
     * migrate-incoming}. {@link #start()} then waits for QMP only, not for the agent; call {@link
     * TestGuest#awaitAgent(Duration)} after the restore.
     */
    public Builder incomingDefer() {
      if (incomingDefer) {
        throw new IllegalStateException("incomingDefer was already set");
      }
      this.incomingDefer = true;
      return this;
    }

    /**
     * RAM in this existing file (such as another guest's {@link TestGuest#memoryFile()}), for a
     * restore cycle. The caller (or that other guest) owns it; this guest never deletes it.
     */
    public Builder memoryFile(Path file) {
      launcher.memoryFile(file);
      return this;
    }

    /** How long {@link #start()} waits for the agent to answer. Default 90 s. */
    public Builder bootTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("bootTimeout must be positive: " + timeout);
      }
      this.bootTimeout = timeout;
      return this;
    }

    /** More QEMU arguments, appended. */
    public Builder extraArgs(String... args) {
      launcher.extraArgs(args);
      return this;
    }

    /**
     * Starts QEMU and waits until the guest agent answers (with {@link #incomingDefer()}: until QMP
     * greets). Fails early, with QEMU's output and console, if QEMU exits.
     *
     * @throws QemuLaunchException if QEMU 10 is missing, exits early, or the guest does not come up
     *     in time
     */
    public TestGuest start() {
      QemuLauncher built = launcher.testGuest(guest().kernel(), guest().initramfs()).build();
      TestGuest guest;
      try {
        guest = new TestGuest(built, true, incomingDefer ? built.startIncoming() : built.start());
      } catch (RuntimeException e) {
        built.close();
        throw e;
      }
      if (!incomingDefer) {
        guest.awaitBoot(bootTimeout);
      }
      return guest;
    }
  }

  private void awaitBoot(Duration timeout) {
    try {
      awaitAgent(timeout);
      bootTime = instance.uptime();
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Starts a second QEMU with this guest's arguments plus {@code -incoming defer}, on the same RAM
   * file, for a cpr-reboot restore. It returns once QMP greets (runstate {@code inmigrate}); this
   * guest keeps owning the RAM file, so close it last.
   */
  public TestGuest startIncoming() {
    return new TestGuest(launcher, false, launcher.startIncoming());
  }

  /**
   * Starts the new QEMU of a cpr-transfer with this guest's arguments (build the guest with {@link
   * Builder#auxRamShare()}) plus {@code -incoming} for the cpr channel at {@code cprChannel} and
   * {@code -incoming unix:<mainChannel>}, or {@code -incoming defer} when {@code mainChannel} is
   * null. It returns once the cpr socket exists; its QMP socket appears only after the source's
   * {@code migrate}. It has its own directory, QMP and agent sockets and console log, and shares
   * this guest's RAM file: close this guest last.
   */
  public TestGuest startCprTransferTarget(Path cprChannel, @Nullable Path mainChannel) {
    return new TestGuest(launcher, false, launcher.startCprTransferTarget(cprChannel, mainChannel));
  }

  // ---------------------------------------------------------------- accessors

  /** The QMP socket. */
  public Path qmpSocket() {
    return instance.qmpSocket();
  }

  /** The guest agent's socket. */
  public Path qgaSocket() {
    return instance.qgaSocket().orElseThrow();
  }

  /** The serial console log. */
  public Path consoleLog() {
    return instance.consoleLog().orElseThrow();
  }

  /** The guest's temporary directory, deleted by {@link #close()}. */
  public Path directory() {
    return instance.directory();
  }

  /** The RAM file ({@code mem-path}); empty with memfd. */
  public Optional<Path> memoryFile() {
    return instance.memoryFile();
  }

  /** The full QEMU command line. */
  public List<String> commandLine() {
    return instance.commandLine();
  }

  /** QEMU's process id. */
  public long pid() {
    return instance.pid();
  }

  /** The underlying QEMU, for what this wrapper does not offer (signals, for example). */
  public QemuInstance instance() {
    return instance;
  }

  /** From QEMU's start to the agent's first answer; empty with {@code -incoming defer}. */
  public Optional<Duration> bootTime() {
    return Optional.ofNullable(bootTime);
  }

  /** A new agent client with the default settings; the caller closes it. */
  public GuestAgentClient connectAgent() {
    return GuestAgentClient.builder().unixSocket(qgaSocket()).name("test-guest").connect();
  }

  /** A new QMP client; the caller closes it (QEMU serves one client at a time). */
  public QmpClient connectQmp() {
    return QmpClient.connect(qmpSocket());
  }

  /** Whether QEMU still runs. */
  public boolean isAlive() {
    return instance.isAlive();
  }

  /** Waits for QEMU to exit by itself (after {@code quit}) and returns its exit status. */
  public int awaitExit(Duration timeout) {
    return instance.awaitExit(timeout);
  }

  /** What QEMU wrote to stdout and stderr. */
  public String qemuOutput() {
    return instance.output();
  }

  // ---------------------------------------------------------------- console

  /** The serial console so far, with {@code \r\n} turned into {@code \n}. */
  public String console() {
    return instance.console();
  }

  /** The boot id the guest printed on this console ({@code boot_id <uuid>}), if it has. */
  public Optional<String> bootId() {
    return instance.bootId();
  }

  /** The number of the last {@code heartbeat N} line on the console, if any. */
  public OptionalLong lastHeartbeat() {
    return instance.lastHeartbeat();
  }

  /** Waits until the console shows a heartbeat numbered above {@code after}; returns it. */
  public long awaitHeartbeatAfter(long after, Duration timeout) {
    return instance.awaitHeartbeatAfter(after, timeout);
  }

  // ---------------------------------------------------------------- waiting

  /**
   * Waits until the agent answers {@code guest-sync-delimited}: one client that resynchronizes
   * every second (qemu-ga answers all the queued syncs when it opens its port, and the client skips
   * the old ones). Fails early if QEMU exits.
   *
   * @throws QemuLaunchException if QEMU exits, or the agent does not answer in time
   */
  public void awaitAgent(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try (GuestAgentClient probe =
          GuestAgentClient.builder()
              .unixSocket(qgaSocket())
              .syncTimeout(Duration.ofSeconds(1))
              .name("test-guest-probe")
              .connect()) {
        while (true) {
          try {
            probe.sync();
            return;
          } catch (GuestAgentTimeoutException e) {
            checkProgress(deadline, timeout, e);
          }
        }
      } catch (GuestAgentConnectException | GuestAgentConnectionClosedException e) {
        checkProgress(deadline, timeout, e);
        sleep(50);
      }
    }
  }

  private void checkProgress(long deadline, Duration timeout, RuntimeException last) {
    if (!instance.isAlive() || System.nanoTime() - deadline > 0) {
      String console = console();
      throw new QemuLaunchException(
          (instance.isAlive()
                  ? "the guest agent did not answer within " + timeout.toMillis() + " ms"
                  : "QEMU exited while the guest booted")
              + "\n--- command line:\n"
              + String.join(" ", commandLine())
              + "\n--- QEMU output:\n"
              + qemuOutput()
              + "\n--- console (last 2000 chars):\n"
              + console.substring(Math.max(0, console.length() - 2000)),
          last);
    }
  }

  // ---------------------------------------------------------------- ending

  /** Kills QEMU at once (SIGKILL), as a crash would; the files stay until {@link #close()}. */
  public void kill9() {
    instance.kill9();
  }

  /**
   * Kills QEMU if it still runs and deletes the guest's directory, and the RAM file if this guest
   * created it. Idempotent.
   */
  @Override
  public void close() {
    try {
      instance.close();
    } finally {
      if (ownsLauncher) {
        launcher.close();
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QemuLaunchException("interrupted while waiting for the guest agent", e);
    }
  }

  @Override
  public String toString() {
    return "TestGuest[pid=" + pid() + ", " + directory() + "]";
  }

  private static TestGuestImage guest() {
    return TestGuestImage.locateOrBuild();
  }
}

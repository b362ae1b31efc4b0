package io.github.qemucpr.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * An immutable description of a VM, from which QEMU processes are started: the first with {@link
 * #start()}, and, for a cpr-reboot restore, a second one with the same arguments plus {@code
 * -incoming defer} with {@link #startIncoming()}. Both share the VM's RAM file, which the launcher
 * owns: {@link #close()} deletes it (unless the caller supplied it with {@link
 * Builder#memoryFile(Path)}).
 *
 * <pre>{@code
 * try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(256).build()) {
 *   try (QemuInstance source = vm.start()) {
 *     // connect to source.qmpSocket(), save with cpr-reboot, quit
 *   }
 *   try (QemuInstance target = vm.startIncoming()) {
 *     // connect to target.qmpSocket(), restore
 *   }
 * }
 * }</pre>
 *
 * <p>The defaults: {@code qemu-system-x86_64} (or the system property {@code qemu.binary}), machine
 * {@code q35}, TCG, 64 MiB of RAM in a {@code memory-backend-file,share=on} under {@code /dev/shm},
 * no display, no default devices, a QMP socket in the instance's own temporary directory.
 * Thread-safe.
 */
public final class QemuLauncher implements AutoCloseable {

  /** The command that installs QEMU 10 on Debian 12, for error messages. */
  public static final String INSTALL_COMMAND = "sudo scripts/install-qemu.sh";

  private final String binary;
  private final String machine;
  private final String accelerator;
  private final int memoryMiB;
  private final MemoryBackend backend;
  private final @Nullable Path memoryFile;
  private final boolean ownsMemoryFile;
  private final boolean auxRamShare;
  private final boolean guestAgent;
  private final boolean serialConsole;
  private final @Nullable Boolean s3Enabled;
  private final @Nullable Path kernel;
  private final @Nullable Path initrd;
  private final String append;
  private final @Nullable String name;
  private final List<String> extraArgs;
  private final Duration startTimeout;

  private QemuLauncher(Builder b) {
    this.binary =
        b.binary != null ? b.binary : System.getProperty("qemu.binary", "qemu-system-x86_64");
    this.machine = b.machine != null ? b.machine : "q35";
    this.accelerator = b.accelerator != null ? b.accelerator : "tcg";
    this.memoryMiB = b.memoryMiB != 0 ? b.memoryMiB : 64;
    this.backend = b.backend != null ? b.backend : MemoryBackend.SHARED_FILE;
    if (backend == MemoryBackend.SHARED_FILE) {
      this.ownsMemoryFile = b.memoryFile == null;
      this.memoryFile = b.memoryFile != null ? b.memoryFile : uniqueShmFile();
    } else {
      this.ownsMemoryFile = false;
      this.memoryFile = null;
    }
    this.auxRamShare = b.auxRamShare;
    this.guestAgent = b.guestAgent;
    this.serialConsole = b.serialConsole;
    this.s3Enabled = b.s3Enabled;
    this.kernel = b.kernel;
    this.initrd = b.initrd;
    this.append = b.append != null ? b.append : "console=ttyS0 quiet panic=-1";
    this.name = b.name;
    this.extraArgs = List.copyOf(b.extraArgs);
    this.startTimeout = b.startTimeout != null ? b.startTimeout : Duration.ofSeconds(20);
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A fresh path under {@code /dev/shm} (or the temporary directory where there is none) that does
   * not exist yet, for a RAM file.
   */
  public static Path uniqueShmFile() {
    Path shm = Path.of("/dev/shm");
    Path dir = Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    return dir.resolve("qemu-cpr-" + UUID.randomUUID() + ".ram");
  }

  /**
   * Starts QEMU and waits until its QMP monitor greets (the machine is then complete), or, with a
   * guest agent, only until QMP greets: use {@link QemuInstance#awaitFile} or the agent client to
   * wait for the guest.
   *
   * @throws QemuLaunchException if QEMU is missing or older than 10.0, exits early (the message
   *     holds its stderr), or does not greet within the start timeout
   */
  public QemuInstance start() {
    return start(List.of(), true);
  }

  /**
   * Starts QEMU with the same arguments plus {@code -incoming defer}, for a restore: its run state
   * is {@code inmigrate} until {@code migrate-incoming}.
   */
  public QemuInstance startIncoming() {
    return start(List.of("-incoming", "defer"), true);
  }

  /**
   * Starts QEMU with more arguments. With {@code awaitGreeting} false it returns once the process
   * runs and its QMP socket file exists, for a QEMU whose monitor answers only later. (A
   * cpr-transfer target creates even its QMP socket only after it has read the cpr channel: start
   * it with {@link #startCprTransferTarget} instead.)
   */
  public QemuInstance start(List<String> moreArgs, boolean awaitGreeting) {
    return start(moreArgs, awaitGreeting ? null : Path.of("qmp.sock"));
  }

  /**
   * Starts the new QEMU of a cpr-transfer: the same arguments plus {@code -incoming} for the cpr
   * channel, a Unix socket at {@code cprChannel}, and {@code -incoming unix:<mainChannel>}, or
   * {@code -incoming defer} when {@code mainChannel} is null. It returns once the cpr socket
   * exists: QEMU 10.0 waits there for the source's {@code migrate} before anything else, and
   * creates its QMP socket (and answers on it) only after it has read the cpr state. The VM needs
   * {@link Builder#auxRamShare()} and shared RAM (the default file backend, or {@link
   * Builder#memfd()}).
   *
   * @throws QemuLaunchException if QEMU is missing or exits early, or the cpr socket does not
   *     appear within the start timeout
   */
  public QemuInstance startCprTransferTarget(Path cprChannel, @Nullable Path mainChannel) {
    Objects.requireNonNull(cprChannel, "cprChannel");
    String cpr =
        "{\"channel-type\":\"cpr\",\"addr\":{\"transport\":\"socket\",\"type\":\"unix\","
            + "\"path\":\""
            + jsonEscape(cprChannel.toString())
            + "\"}}";
    String main = mainChannel != null ? "unix:" + mainChannel : "defer";
    return start(List.of("-incoming", cpr, "-incoming", main), cprChannel.toAbsolutePath());
  }

  private static String jsonEscape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  /**
   * Starts QEMU and waits for {@code awaitFile} (relative to the instance's directory), or for the
   * QMP greeting when it is null.
   */
  private QemuInstance start(List<String> moreArgs, @Nullable Path awaitFile) {
    QemuBinary.requireAtLeast10(binary);
    Path directory;
    try {
      directory = Files.createTempDirectory(tempRoot(), "qemu-cpr-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a directory for QEMU's sockets", e);
    }
    List<String> command = commandLine(directory, moreArgs);
    return QemuInstance.start(
        command,
        directory,
        directory.resolve("qmp.sock"),
        guestAgent ? directory.resolve("qga.sock") : null,
        serialConsole ? directory.resolve("console.log") : null,
        memoryFile,
        awaitFile == null ? null : directory.resolve(awaitFile),
        startTimeout);
  }

  /** The command line an instance in {@code directory} would run, with {@code moreArgs} last. */
  public List<String> commandLine(Path directory, List<String> moreArgs) {
    String size = memoryMiB + "M";
    List<String> cmd = new ArrayList<>();
    cmd.add(binary);
    cmd.addAll(List.of("-nodefaults", "-nographic", "-accel", accelerator));
    cmd.addAll(
        List.of(
            "-machine",
            machine + ",memory-backend=ram0" + (auxRamShare ? ",aux-ram-share=on" : "")));
    cmd.addAll(List.of("-m", size, "-object", backendObject(size)));
    if (s3Enabled != null) {
      cmd.addAll(List.of("-global", "ICH9-LPC.disable_s3=" + (s3Enabled ? 0 : 1)));
    }
    if (name != null) {
      cmd.addAll(List.of("-name", optionValue(name)));
    }
    if (serialConsole) {
      cmd.addAll(List.of("-serial", "file:" + directory.resolve("console.log")));
    }
    if (kernel != null && initrd != null) {
      cmd.addAll(
          List.of("-kernel", kernel.toString(), "-initrd", initrd.toString(), "-append", append));
      cmd.add("-no-reboot");
    }
    if (guestAgent) {
      cmd.addAll(List.of("-device", "virtio-serial-pci"));
      cmd.addAll(
          List.of(
              "-chardev",
              "socket,id=qga0,path="
                  + optionValue(directory.resolve("qga.sock"))
                  + ",server=on,wait=off"));
      cmd.addAll(List.of("-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0"));
    }
    cmd.addAll(
        List.of(
            "-qmp", "unix:" + optionValue(directory.resolve("qmp.sock")) + ",server=on,wait=off"));
    cmd.addAll(extraArgs);
    cmd.addAll(moreArgs);
    return List.copyOf(cmd);
  }

  private String backendObject(String size) {
    switch (backend) {
      case SHARED_FILE:
        return "memory-backend-file,id=ram0,size="
            + size
            + ",mem-path="
            + optionValue(Objects.requireNonNull(memoryFile))
            + ",share=on";
      case MEMFD:
        return "memory-backend-memfd,id=ram0,size=" + size + ",share=on";
      default:
        return "memory-backend-ram,id=ram0,size=" + size;
    }
  }

  /**
   * A value inside QEMU's option syntax ({@code key=value,key=value}, as in {@code -object}, {@code
   * -chardev}, {@code -name}, and {@code -qmp unix:PATH,...}): a comma in it is written twice, or
   * QEMU would take what follows for the next option. Paths QEMU takes whole ({@code -kernel},
   * {@code -initrd}, {@code -serial file:PATH}, {@code -incoming unix:PATH}) are not escaped.
   */
  static String optionValue(Object value) {
    return value.toString().replace(",", ",,");
  }

  /** The VM's RAM file, for the shared-file backend. */
  public Optional<Path> memoryFile() {
    return Optional.ofNullable(memoryFile);
  }

  /** The guest RAM size in MiB. */
  public int memoryMiB() {
    return memoryMiB;
  }

  /** The kind of RAM backend. */
  public MemoryBackend memoryBackend() {
    return backend;
  }

  /** Deletes the RAM file if the launcher created it. Idempotent. */
  @Override
  public void close() {
    if (ownsMemoryFile && memoryFile != null) {
      try {
        Files.deleteIfExists(memoryFile);
      } catch (IOException e) {
        // Best effort: /dev/shm is emptied at reboot.
      }
    }
  }

  private static Path tempRoot() {
    // A Unix socket path must fit in 108 bytes; a long java.io.tmpdir would not leave room.
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    return tmp.toString().length() <= 40 ? tmp : Path.of("/tmp");
  }

  @Override
  public String toString() {
    return "QemuLauncher["
        + machine
        + ", "
        + accelerator
        + ", "
        + memoryMiB
        + " MiB "
        + backend
        + (memoryFile != null ? " at " + memoryFile : "")
        + (guestAgent ? ", guest agent" : "")
        + "]";
  }

  /** Where the guest's RAM lives. */
  public enum MemoryBackend {
    /**
     * {@code memory-backend-file,share=on}: cpr-reboot keeps RAM in place ({@code
     * x-ignore-shared}).
     */
    SHARED_FILE,
    /** {@code memory-backend-memfd,share=on}: copied into the state file by cpr-reboot. */
    MEMFD,
    /** {@code memory-backend-ram}: private anonymous memory, copied into the state file. */
    ANONYMOUS
  }

  /** Options for a {@link QemuLauncher}. Each option may be set once. Not thread-safe. */
  public static final class Builder {
    private @Nullable String binary;
    private @Nullable String machine;
    private @Nullable String accelerator;
    private int memoryMiB;
    private @Nullable MemoryBackend backend;
    private @Nullable Path memoryFile;
    private boolean auxRamShare;
    private boolean guestAgent;
    private boolean serialConsole;
    private @Nullable Boolean s3Enabled;
    private @Nullable Path kernel;
    private @Nullable Path initrd;
    private @Nullable String append;
    private @Nullable String name;
    private final List<String> extraArgs = new ArrayList<>();
    private @Nullable Duration startTimeout;

    private Builder() {}

    /** The QEMU binary; default {@code qemu-system-x86_64}. */
    public Builder binary(String binary) {
      requireUnset(this.binary, "binary");
      this.binary = requireText(binary, "binary");
      return this;
    }

    /** The machine type; default {@code q35} (S3 and {@code disable_s3} need q35). */
    public Builder machine(String machine) {
      requireUnset(this.machine, "machine");
      this.machine = requireText(machine, "machine");
      return this;
    }

    /** The accelerator; default {@code tcg}. KVM guests hang on some test machines. */
    public Builder accelerator(String accelerator) {
      requireUnset(this.accelerator, "accelerator");
      this.accelerator = requireText(accelerator, "accelerator");
      return this;
    }

    /** Guest RAM in MiB, 16 to 65536; default 64. */
    public Builder memoryMiB(int mib) {
      if (memoryMiB != 0) {
        throw new IllegalStateException("memoryMiB was already set to " + memoryMiB);
      }
      if (mib < 16 || mib > 65536) {
        throw new IllegalArgumentException("memoryMiB must be 16..65536: " + mib);
      }
      this.memoryMiB = mib;
      return this;
    }

    /**
     * RAM in this file, shared; the caller owns it and the launcher never deletes it. Without this,
     * the launcher makes a unique file under {@code /dev/shm} and deletes it on close.
     */
    public Builder memoryFile(Path file) {
      setBackend(MemoryBackend.SHARED_FILE);
      Objects.requireNonNull(file, "file");
      if (!file.isAbsolute()) {
        throw new IllegalArgumentException("memoryFile must be absolute: " + file);
      }
      this.memoryFile = file;
      return this;
    }

    /** RAM in {@code memory-backend-memfd,share=on}. */
    public Builder memfd() {
      setBackend(MemoryBackend.MEMFD);
      return this;
    }

    /** RAM in private anonymous memory ({@code memory-backend-ram}). */
    public Builder anonymousMemory() {
      setBackend(MemoryBackend.ANONYMOUS);
      return this;
    }

    /** {@code -machine aux-ram-share=on}, which cpr-transfer needs. */
    public Builder auxRamShare() {
      if (auxRamShare) {
        throw new IllegalStateException("auxRamShare was already set");
      }
      this.auxRamShare = true;
      return this;
    }

    /** A virtio-serial port named {@code org.qemu.guest_agent.0} on a socket {@code qga.sock}. */
    public Builder guestAgent() {
      if (guestAgent) {
        throw new IllegalStateException("guestAgent was already set");
      }
      this.guestAgent = true;
      return this;
    }

    /** The serial console into {@code console.log} in the instance's directory. */
    public Builder serialConsole() {
      if (serialConsole) {
        throw new IllegalStateException("serialConsole was already set");
      }
      this.serialConsole = true;
      return this;
    }

    /**
     * Whether the guest may suspend to RAM (S3), through {@code -global ICH9-LPC.disable_s3}; q35
     * disables S3 unless told otherwise.
     */
    public Builder s3(boolean enabled) {
      requireUnset(s3Enabled, "s3");
      this.s3Enabled = enabled;
      return this;
    }

    /** Boots this kernel and initramfs directly, with {@code -no-reboot}. */
    public Builder kernel(Path kernel, Path initrd) {
      requireUnset(this.kernel, "kernel");
      this.kernel = Objects.requireNonNull(kernel, "kernel");
      this.initrd = Objects.requireNonNull(initrd, "initrd");
      return this;
    }

    /** The kernel command line; default {@code console=ttyS0 quiet panic=-1}. */
    public Builder append(String append) {
      requireUnset(this.append, "append");
      this.append = Objects.requireNonNull(append, "append");
      return this;
    }

    /**
     * The little test guest ({@code io.github.qemucpr.testing.TestGuestImage} of cpr-testing finds
     * or builds it): its kernel and initramfs, the serial console, the guest agent, and S3 enabled
     * (unless {@link #s3(boolean)} says otherwise).
     */
    public Builder testGuest(Path kernel, Path initramfs) {
      kernel(kernel, initramfs);
      serialConsole();
      guestAgent();
      if (s3Enabled == null) {
        s3Enabled = true;
      }
      if (memoryMiB == 0) {
        memoryMiB = 256;
      }
      return this;
    }

    /** {@code -name}: the guest's name (a comma in it is escaped, not an option separator). */
    public Builder name(String name) {
      requireUnset(this.name, "name");
      this.name = requireText(name, "name");
      return this;
    }

    /** More arguments, appended; may be called repeatedly. */
    public Builder extraArgs(String... args) {
      for (String a : args) {
        extraArgs.add(Objects.requireNonNull(a, "extra argument"));
      }
      return this;
    }

    /** How long {@code start} waits for QEMU's monitor; default 20 s. */
    public Builder startTimeout(Duration timeout) {
      requireUnset(startTimeout, "startTimeout");
      Objects.requireNonNull(timeout, "startTimeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("startTimeout must be positive: " + timeout);
      }
      this.startTimeout = timeout;
      return this;
    }

    /** The immutable launcher. */
    public QemuLauncher build() {
      return new QemuLauncher(this);
    }

    private void setBackend(MemoryBackend b) {
      if (backend != null) {
        throw new IllegalStateException("the memory backend was already set to " + backend);
      }
      backend = b;
    }

    private static void requireUnset(@Nullable Object current, String option) {
      if (current != null) {
        throw new IllegalStateException(option + " was already set to " + current);
      }
    }

    private static String requireText(String value, String option) {
      Objects.requireNonNull(value, option);
      if (value.isBlank()) {
        throw new IllegalArgumentException(option + " must not be blank");
      }
      return value;
    }
  }
}

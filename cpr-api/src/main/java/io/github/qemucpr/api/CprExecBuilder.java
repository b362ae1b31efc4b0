package io.github.qemucpr.api;

import io.github.qemucpr.api.internal.ExecOptions;
import io.github.qemucpr.api.internal.ExecWorkflow;
import io.github.qemucpr.api.internal.cmdline.QemuArgs;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qmp.QmpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * A cpr-exec of one VM, from {@link CprExec#of(QmpClient)}. Each option may be set once, and is
 * checked as it is set. {@link #check()} changes nothing and may be called any number of times;
 * {@link #run()} runs once. Not thread-safe.
 *
 * <pre>{@code
 * CprExecResult r = CprExec.of(qmp)
 *     .newCommand(List.of("/usr/bin/qemu-system-x86_64", "-machine", "q35,aux-ram-share=on", ...))
 *     .stateFile(Path.of("/var/lib/vm1/exec.state"))
 *     .reconnectTimeout(Duration.ofSeconds(10))
 *     .progressListener(e -> log.info(e.toString()))
 *     .run();
 * }</pre>
 *
 * <p>What {@link #run()} does, in order: the preflight ({@link #check()}), refusing to start on any
 * error; with {@link #suspendGuestFirst}, the guest's suspend to RAM; the state file created new
 * ({@code O_EXCL}, mode 0600) and passed to QEMU as a descriptor ({@code add-fd}); mode {@code
 * cpr-exec}, {@code cpr-exec-command} set to the new command line plus {@code -incoming} with a
 * {@code file} channel for the state file (the JSON form, so that no part of the path is parsed as
 * options), and the {@code events} capability on; {@code migrate} to the descriptor, until {@code
 * completed}; then QEMU executes the new command line in the same process, and the run connects
 * again to the same monitor socket ({@link QmpClient#reconnect}), checks that the same process
 * answers, and waits until the new QEMU has loaded the state and runs the VM (or holds it paused or
 * suspended, as it was), and wakes a guest it suspended. The state file is then deleted: it is used
 * up, since the VM has run on. Any failure is rolled back as far as it can be (see {@link
 * CprExecException}).
 *
 * <p>The new QEMU opens the state file by its path, as QEMU's {@code -incoming} on a command line
 * must: the preflight checks that the new QEMU will see this very directory there and may read a
 * file of this process's user. Since the load is on the new QEMU's command line, the VM resumes
 * even if this process dies during the exec.
 */
public final class CprExecBuilder {
  /** The overall timeout unless set. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  /** The timeout of each phase unless set. */
  public static final Duration DEFAULT_PHASE_TIMEOUT = Duration.ofMinutes(2);

  /** How long the new QEMU's monitor may take to answer after the exec, unless set. */
  public static final Duration DEFAULT_RECONNECT_TIMEOUT = Duration.ofSeconds(30);

  private final QmpClient qmp;
  private final AtomicBoolean ran = new AtomicBoolean();
  private @Nullable List<String> newCommand;
  private @Nullable Path stateFile;
  private @Nullable Duration timeout;
  private @Nullable Duration phaseTimeout;
  private @Nullable Duration reconnectTimeout;
  private @Nullable GuestAgentClient agent;
  private @Nullable Boolean wakeUp;
  private @Nullable CprProgressListener listener;

  CprExecBuilder(QmpClient qmp) {
    this.qmp = qmp;
  }

  /**
   * The new QEMU's whole command line, binary first, as an absolute path as QEMU sees it (in QEMU's
   * own root: a QEMU in a chroot or container looks it up there); required. Give it the same
   * arguments the VM runs with (same machine, devices and memory backends, the same monitor
   * socket), and no {@code -incoming}: the run adds the one that loads the state file.
   *
   * @throws IllegalArgumentException if it is empty, the binary is not an absolute path, or it has
   *     the option {@code -incoming} (or {@code --incoming}) as QEMU reads its command line
   */
  public CprExecBuilder newCommand(List<String> argv) {
    requireUnset(newCommand, "newCommand");
    List<String> copy = List.copyOf(Objects.requireNonNull(argv, "newCommand"));
    if (copy.isEmpty()) {
      throw new IllegalArgumentException("newCommand is empty: give the binary first");
    }
    if (!copy.get(0).startsWith("/")) {
      throw new IllegalArgumentException(
          "the binary must be an absolute path, as QEMU sees it: " + copy.get(0));
    }
    // As QEMU reads it: "-name -incoming" names the VM, and is no -incoming.
    for (QemuArgs.Option incoming : QemuArgs.parse(copy).options("incoming")) {
      throw new IllegalArgumentException(
          "newCommand has "
              + incoming.spelling()
              + ": leave it out, the exec adds the one that loads the state"
              + " file");
    }
    newCommand = copy;
    return this;
  }

  /**
   * Where the device state goes: a new file, created by the run ({@code O_EXCL}, mode 0600) in a
   * directory the new QEMU sees at the same path; required. It is deleted once the VM runs on.
   *
   * @throws IllegalArgumentException if the path is not absolute
   */
  public CprExecBuilder stateFile(Path file) {
    requireUnset(stateFile, "stateFile");
    Objects.requireNonNull(file, "stateFile");
    if (!file.isAbsolute() || file.getFileName() == null) {
      throw new IllegalArgumentException("stateFile must be an absolute file path: " + file);
    }
    stateFile = file;
    return this;
  }

  /** The limit on the whole exec; {@link #DEFAULT_TIMEOUT} unless set. A rollback comes on top. */
  public CprExecBuilder timeout(Duration timeout) {
    requireUnset(this.timeout, "timeout");
    this.timeout = CprSaveBuilder.checkDuration("timeout", timeout);
    return this;
  }

  /** The limit on each phase; {@link #DEFAULT_PHASE_TIMEOUT} unless set. */
  public CprExecBuilder phaseTimeout(Duration timeout) {
    requireUnset(phaseTimeout, "phaseTimeout");
    phaseTimeout = CprSaveBuilder.checkDuration("phaseTimeout", timeout);
    return this;
  }

  /**
   * How long the new QEMU's monitor may take to answer after QEMU closed the old one; {@link
   * #DEFAULT_RECONNECT_TIMEOUT} unless set (it answers about 100 ms after, on QEMU 11.1).
   */
  public CprExecBuilder reconnectTimeout(Duration timeout) {
    requireUnset(reconnectTimeout, "reconnectTimeout");
    reconnectTimeout = CprSaveBuilder.checkDuration("reconnectTimeout", timeout);
    return this;
  }

  /**
   * Suspends the guest to RAM through its agent ({@code guest-suspend-ram}) before the save, as a
   * VM with devices that must be quiet (VFIO) may need; the guest then comes back suspended in the
   * new QEMU and is woken there ({@code system_wakeup}) unless {@link #wakeUpAfter(boolean)} says
   * no. The machine must let the guest enter S3 (q35: {@code -global ICH9-LPC.disable_s3=0}). A
   * running VM only: a paused one cannot suspend. The client stays the caller's.
   */
  public CprExecBuilder suspendGuestFirst(GuestAgentClient agent) {
    requireUnset(this.agent, "suspendGuestFirst");
    this.agent = Objects.requireNonNull(agent, "agent");
    return this;
  }

  /**
   * Whether to wake the guest that {@link #suspendGuestFirst} suspended, once the new QEMU holds
   * it; {@code true} unless set.
   */
  public CprExecBuilder wakeUpAfter(boolean wakeUp) {
    requireUnset(this.wakeUp, "wakeUpAfter");
    this.wakeUp = wakeUp;
    return this;
  }

  /** Receives the progress of {@link #run()}, on the calling thread. */
  public CprExecBuilder progressListener(CprProgressListener listener) {
    requireUnset(this.listener, "progressListener");
    this.listener = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /**
   * The preflight alone: every problem, at once. Changes nothing (the mode is set to {@code
   * cpr-exec} for the moment of one query, to ask QEMU for its blockers, and set back).
   *
   * @throws IllegalStateException if {@code newCommand} or {@code stateFile} was not set, or
   *     another CPR operation runs on the same client
   */
  public PreflightReport check() {
    return ExecWorkflow.check(qmp, options());
  }

  /**
   * Runs the exec.
   *
   * @return what the exec did, with the new connection to the monitor, which the caller now owns
   *     and closes; the client given to {@link CprExec#of} is closed
   * @throws CprPreflightException if the preflight found errors; nothing was changed
   * @throws CprExecException if the exec failed after it started; it was rolled back as far as
   *     possible, and the exception says where the VM is
   * @throws IllegalStateException if a required option was not set, this builder ran already, or
   *     another CPR operation runs on the same client
   */
  public CprExecResult run() {
    ExecOptions options = options();
    if (!ran.compareAndSet(false, true)) {
      throw new IllegalStateException("this CprExecBuilder already ran; a builder runs once");
    }
    return ExecWorkflow.run(qmp, options);
  }

  private ExecOptions options() {
    if (newCommand == null || stateFile == null) {
      throw new IllegalStateException("set newCommand(argv) and stateFile(path) first");
    }
    return new ExecOptions(
        newCommand,
        stateFile,
        timeout != null ? timeout : DEFAULT_TIMEOUT,
        phaseTimeout != null ? phaseTimeout : DEFAULT_PHASE_TIMEOUT,
        reconnectTimeout != null ? reconnectTimeout : DEFAULT_RECONNECT_TIMEOUT,
        agent,
        wakeUp == null || wakeUp,
        listener);
  }

  private void requireUnset(@Nullable Object current, String option) {
    if (ran.get()) {
      throw new IllegalStateException(
          "this CprExecBuilder already ran; " + option + " cannot change");
    }
    if (current != null) {
      throw new IllegalStateException(option + " was already set to " + current);
    }
  }
}

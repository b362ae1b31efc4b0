package io.github.qemucpr.api;

import io.github.qemucpr.api.internal.SaveOptions;
import io.github.qemucpr.api.internal.SaveWorkflow;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qmp.QmpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * A cpr-reboot save of one VM, from {@link CprReboot#save(QmpClient)}. Each option may be set once,
 * and is checked as it is set. {@link #check()} changes nothing and may be called any number of
 * times; {@link #run()} runs once. Not thread-safe.
 *
 * <pre>{@code
 * CprSaveResult saved = CprReboot.save(qmp)
 *     .to(Path.of("/var/lib/vm1/vm.state"))
 *     .guestAgent(qga)
 *     .suspendPolicy(SuspendPolicy.AUTO)
 *     .timeout(Duration.ofMinutes(5))
 *     .progressListener(e -> log.info(e.toString()))
 *     .run();
 * }</pre>
 *
 * <p>What {@link #run()} does, in order: the preflight ({@link #check()}), refusing to start on any
 * error; {@code guest-suspend-ram} when the guest must be suspended; mode {@code cpr-reboot},
 * {@code x-ignore-shared} when RAM is shared, and {@code events}; {@code migrate} to {@code
 * <name>.partial}, passed to QEMU as an open descriptor; the wait for QEMU's {@code MIGRATION
 * completed}, confirmed with {@code query-migrate}; fsync, the atomic rename onto the target, the
 * manifest {@code <name>.json}; and {@code quit}. Any failure after the VM was touched is rolled
 * back (see {@link CprSaveException}).
 */
public final class CprSaveBuilder {
  /** The overall timeout unless set. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

  /** The timeout of each phase unless set. */
  public static final Duration DEFAULT_PHASE_TIMEOUT = Duration.ofMinutes(5);

  /** How long the guest may take to suspend, unless set. */
  public static final Duration DEFAULT_SUSPEND_TIMEOUT = Duration.ofSeconds(30);

  private final QmpClient qmp;
  private final AtomicBoolean ran = new AtomicBoolean();
  private @Nullable Path target;
  private @Nullable GuestAgentClient agent;
  private @Nullable SuspendPolicy suspendPolicy;
  private @Nullable Boolean requireMemorySavedInPlace;
  private @Nullable Boolean quitAfterSave;
  private @Nullable Duration timeout;
  private @Nullable Duration phaseTimeout;
  private @Nullable Duration suspendTimeout;
  private @Nullable Boolean passFileDescriptor;
  private @Nullable CprProgressListener listener;

  CprSaveBuilder(QmpClient qmp) {
    this.qmp = qmp;
  }

  /**
   * The state file to write; required. It is written as {@code <name>.partial} beside it and
   * renamed over it (atomically) only once complete: a save that fails before that rename leaves an
   * earlier state file there as it was, and never puts an incomplete one in its place. A save that
   * fails after the rename has already replaced the earlier file with the new, complete state: it
   * is kept when the VM does not run again in its QEMU (see {@link CprSaveException}), and deleted
   * once the rollback has the VM running again, since it would then pair old device state with
   * newer RAM; the earlier file is gone either way. (An earlier checkpoint of the same VM is stale
   * anyway once the VM has run since it was taken.) The preflight checks that the path is absolute
   * and its directory writable.
   *
   * @throws IllegalArgumentException if the path has no file name
   */
  public CprSaveBuilder to(Path stateFile) {
    requireUnset(target, "to");
    Objects.requireNonNull(stateFile, "stateFile");
    if (stateFile.getFileName() == null) {
      throw new IllegalArgumentException("stateFile has no file name: " + stateFile);
    }
    target = stateFile;
    return this;
  }

  /**
   * The guest agent, used to suspend the guest when needed ({@link #suspendPolicy}). The caller
   * keeps ownership.
   */
  public CprSaveBuilder guestAgent(GuestAgentClient agent) {
    requireUnset(this.agent, "guestAgent");
    this.agent = Objects.requireNonNull(agent, "agent");
    return this;
  }

  /** Whether the guest is suspended first; {@link SuspendPolicy#AUTO} unless set. */
  public CprSaveBuilder suspendPolicy(SuspendPolicy policy) {
    requireUnset(suspendPolicy, "suspendPolicy");
    suspendPolicy = Objects.requireNonNull(policy, "policy");
    return this;
  }

  /**
   * Whether RAM copied into the state file (memfd, anonymous, private file mappings) is an error
   * rather than a warning; {@code false} unless set.
   */
  public CprSaveBuilder requireMemorySavedInPlace(boolean require) {
    requireUnset(requireMemorySavedInPlace, "requireMemorySavedInPlace");
    requireMemorySavedInPlace = require;
    return this;
  }

  /**
   * Whether QEMU quits once the state is safe, as the cpr-reboot procedure says; {@code true}
   * unless set. Without it the VM stays in {@code postmigrate}; resuming it there makes the
   * checkpoint stale.
   */
  public CprSaveBuilder quitAfterSave(boolean quit) {
    requireUnset(quitAfterSave, "quitAfterSave");
    quitAfterSave = quit;
    return this;
  }

  /** The limit on the whole save; {@link #DEFAULT_TIMEOUT} unless set. A rollback comes on top. */
  public CprSaveBuilder timeout(Duration timeout) {
    requireUnset(this.timeout, "timeout");
    this.timeout = checkDuration("timeout", timeout);
    return this;
  }

  /** The limit on each phase; {@link #DEFAULT_PHASE_TIMEOUT} unless set. */
  public CprSaveBuilder phaseTimeout(Duration timeout) {
    requireUnset(phaseTimeout, "phaseTimeout");
    phaseTimeout = checkDuration("phaseTimeout", timeout);
    return this;
  }

  /** How long the guest may take to suspend; {@link #DEFAULT_SUSPEND_TIMEOUT} unless set. */
  public CprSaveBuilder suspendTimeout(Duration timeout) {
    requireUnset(suspendTimeout, "suspendTimeout");
    suspendTimeout = checkDuration("suspendTimeout", timeout);
    return this;
  }

  /**
   * Whether the state file is passed to QEMU as an open descriptor ({@code add-fd}, then {@code
   * /dev/fdset/N}); {@code true} unless set. That needs a Unix socket connection, and lets QEMU
   * write a file it could not open itself. With {@code false}, QEMU opens the {@code .partial} file
   * by its path.
   */
  public CprSaveBuilder passFileDescriptor(boolean pass) {
    requireUnset(passFileDescriptor, "passFileDescriptor");
    passFileDescriptor = pass;
    return this;
  }

  /** Receives the progress of {@link #run()}, on the calling thread. */
  public CprSaveBuilder progressListener(CprProgressListener listener) {
    requireUnset(this.listener, "progressListener");
    this.listener = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /**
   * The preflight alone: every problem, at once. Changes nothing (the mode is set to {@code
   * cpr-reboot} for the moment of one query, to ask QEMU for its blockers, and set back before this
   * returns, even when the timeouts have run out; if QEMU refuses, an error item says so).
   *
   * @throws IllegalStateException if {@link #to} was not called, or another save, restore or check
   *     runs on the same client
   */
  public PreflightReport check() {
    return SaveWorkflow.check(qmp, options());
  }

  /**
   * Runs the save.
   *
   * @return what the save did
   * @throws CprPreflightException if the preflight found errors; nothing was changed
   * @throws CprSaveException if the save failed after it started; it was rolled back
   * @throws IllegalStateException if {@link #to} was not called, this builder ran already, or
   *     another save, restore or check runs on the same client
   */
  public CprSaveResult run() {
    SaveOptions options = options();
    if (!ran.compareAndSet(false, true)) {
      throw new IllegalStateException("this CprSaveBuilder already ran; a builder runs once");
    }
    return SaveWorkflow.run(qmp, options);
  }

  private SaveOptions options() {
    if (target == null) {
      throw new IllegalStateException("call to(stateFile) first");
    }
    return new SaveOptions(
        target,
        agent,
        suspendPolicy != null ? suspendPolicy : SuspendPolicy.AUTO,
        requireMemorySavedInPlace != null && requireMemorySavedInPlace,
        quitAfterSave == null || quitAfterSave,
        timeout != null ? timeout : DEFAULT_TIMEOUT,
        phaseTimeout != null ? phaseTimeout : DEFAULT_PHASE_TIMEOUT,
        suspendTimeout != null ? suspendTimeout : DEFAULT_SUSPEND_TIMEOUT,
        passFileDescriptor == null || passFileDescriptor,
        listener);
  }

  private void requireUnset(@Nullable Object current, String option) {
    if (ran.get()) {
      throw new IllegalStateException(
          "this CprSaveBuilder already ran; " + option + " cannot change");
    }
    if (current != null) {
      throw new IllegalStateException(option + " was already set to " + current);
    }
  }

  /** The longest duration taken: a longer one is taken as this (50 years). */
  private static final Duration LONGEST = Duration.ofDays(365L * 50);

  static Duration checkDuration(String option, Duration value) {
    Objects.requireNonNull(value, option);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(option + " must be positive: " + value);
    }
    // Longer is as long as it takes; the cap keeps deadlines in nanoseconds from overflowing.
    return value.compareTo(LONGEST) > 0 ? LONGEST : value;
  }
}

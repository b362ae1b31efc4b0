package io.github.qemucpr.api;

import io.github.qemucpr.api.internal.RestoreOptions;
import io.github.qemucpr.api.internal.RestoreWorkflow;
import io.github.qemucpr.qmp.QmpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * A cpr-reboot restore, from {@link CprReboot#restore(QmpClient)}, into a QEMU started with the
 * same arguments as the saved one plus {@code -incoming defer}. Each option may be set once, and is
 * checked as it is set; {@link #run()} runs once. Not thread-safe.
 *
 * <pre>{@code
 * CprRestoreResult restored = CprReboot.restore(qmp).from(Path.of("/var/lib/vm1/vm.state")).run();
 * }</pre>
 *
 * <p>What {@link #run()} does, in order: checks the state file against its manifest (size and
 * SHA-256) and refuses a checkpoint already restored, before it changes anything in QEMU (its
 * queries go out while the state file is hashed); checks that QEMU is in {@code inmigrate} and has
 * the same RAM backends; applies the mode and capabilities the save used; {@code migrate-incoming}
 * with {@code exit-on-error: false} from the file, passed as an open descriptor; waits for {@code
 * MIGRATION completed}; wakes a guest that the save suspended; and marks the manifest restored.
 * Without a manifest the checks that need it are skipped.
 */
public final class CprRestoreBuilder {
  /** The overall timeout unless set. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

  /** The timeout of each phase unless set. */
  public static final Duration DEFAULT_PHASE_TIMEOUT = Duration.ofMinutes(5);

  private final QmpClient qmp;
  private final AtomicBoolean ran = new AtomicBoolean();
  private @Nullable Path source;
  private @Nullable Boolean force;
  private @Nullable Boolean wakeUpAfterRestore;
  private @Nullable Duration timeout;
  private @Nullable Duration phaseTimeout;
  private @Nullable Boolean passFileDescriptor;
  private @Nullable CprProgressListener listener;

  CprRestoreBuilder(QmpClient qmp) {
    this.qmp = qmp;
  }

  /**
   * The state file to load; required.
   *
   * @throws IllegalArgumentException if the path has no file name
   */
  public CprRestoreBuilder from(Path stateFile) {
    requireUnset(source, "from");
    Objects.requireNonNull(stateFile, "stateFile");
    if (stateFile.getFileName() == null) {
      throw new IllegalArgumentException("stateFile has no file name: " + stateFile);
    }
    source = stateFile;
    return this;
  }

  /**
   * Whether to restore a checkpoint whose manifest says it was restored already, or that a restore
   * of it started and did not finish; {@code false} unless set. With RAM kept in place, a second
   * restore pairs the saved device state with RAM that the guest has changed since, and the disks
   * have moved on too: only force it when the VM never ran from the first restore.
   */
  public CprRestoreBuilder force(boolean force) {
    requireUnset(this.force, "force");
    this.force = force;
    return this;
  }

  /**
   * Whether to wake a guest that comes back suspended because the save suspended it; {@code true}
   * unless set. A guest that was already suspended before the save stays suspended.
   */
  public CprRestoreBuilder wakeUpAfterRestore(boolean wakeUp) {
    requireUnset(wakeUpAfterRestore, "wakeUpAfterRestore");
    wakeUpAfterRestore = wakeUp;
    return this;
  }

  /** The limit on the whole restore; {@link #DEFAULT_TIMEOUT} unless set. */
  public CprRestoreBuilder timeout(Duration timeout) {
    requireUnset(this.timeout, "timeout");
    this.timeout = CprSaveBuilder.checkDuration("timeout", timeout);
    return this;
  }

  /** The limit on each phase; {@link #DEFAULT_PHASE_TIMEOUT} unless set. */
  public CprRestoreBuilder phaseTimeout(Duration timeout) {
    requireUnset(phaseTimeout, "phaseTimeout");
    phaseTimeout = CprSaveBuilder.checkDuration("phaseTimeout", timeout);
    return this;
  }

  /**
   * Whether the state file is passed to QEMU as an open read-only descriptor ({@code add-fd});
   * {@code true} unless set. With {@code false}, QEMU opens it by its path.
   */
  public CprRestoreBuilder passFileDescriptor(boolean pass) {
    requireUnset(passFileDescriptor, "passFileDescriptor");
    passFileDescriptor = pass;
    return this;
  }

  /** Receives the progress of {@link #run()}, on the calling thread. */
  public CprRestoreBuilder progressListener(CprProgressListener listener) {
    requireUnset(this.listener, "progressListener");
    this.listener = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /**
   * Runs the restore.
   *
   * @return what the restore did
   * @throws CprCheckpointException if the checkpoint is missing, damaged or used up; nothing in
   *     QEMU was changed
   * @throws CprRestoreException if QEMU is not ready for it, or the load failed ({@link
   *     CprException#qemuError()} holds QEMU's {@code error-desc})
   * @throws IllegalStateException if {@link #from} was not called, this builder ran already, or
   *     another save, restore or check runs on the same client
   */
  public CprRestoreResult run() {
    if (source == null) {
      throw new IllegalStateException("call from(stateFile) first");
    }
    if (!ran.compareAndSet(false, true)) {
      throw new IllegalStateException("this CprRestoreBuilder already ran; a builder runs once");
    }
    return RestoreWorkflow.run(
        qmp,
        new RestoreOptions(
            source,
            force != null && force,
            wakeUpAfterRestore == null || wakeUpAfterRestore,
            timeout != null ? timeout : DEFAULT_TIMEOUT,
            phaseTimeout != null ? phaseTimeout : DEFAULT_PHASE_TIMEOUT,
            passFileDescriptor == null || passFileDescriptor,
            listener));
  }

  private void requireUnset(@Nullable Object current, String option) {
    if (ran.get()) {
      throw new IllegalStateException(
          "this CprRestoreBuilder already ran; " + option + " cannot change");
    }
    if (current != null) {
      throw new IllegalStateException(option + " was already set to " + current);
    }
  }
}

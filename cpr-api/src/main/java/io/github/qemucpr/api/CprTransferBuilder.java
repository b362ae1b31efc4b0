package io.github.qemucpr.api;

import io.github.qemucpr.api.internal.TransferOptions;
import io.github.qemucpr.api.internal.TransferWorkflow;
import io.github.qemucpr.qmp.QmpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * A cpr-transfer of one VM, from {@link CprTransfer#from(QmpClient)}. Each option may be set once,
 * and is checked as it is set. {@link #check()} changes nothing and may be called any number of
 * times; {@link #run()} runs once. Not thread-safe.
 *
 * <pre>{@code
 * CprTransferResult r = CprTransfer.from(source)
 *     .cprChannel(Path.of("/run/vm1/cpr.sock"))
 *     .mainChannel(Path.of("/run/vm1/main.sock"))
 *     .targetQmp(Path.of("/run/vm1/qmp-new.sock"))
 *     .targetConnectTimeout(Duration.ofSeconds(10))
 *     .progressListener(e -> log.info(e.toString()))
 *     .run();
 * }</pre>
 *
 * <p>What {@link #run()} does, in order: the preflight ({@link #check()}), refusing to start on any
 * error; mode {@code cpr-transfer} and the {@code events} capability on the source; {@code migrate}
 * with a main and a cpr channel, both Unix sockets, after which the source has handed its RAM over;
 * the connection to the new QEMU's monitor, which answers only now; on a new QEMU started with
 * {@code -incoming defer}, {@code migrate-incoming} on the main channel (with {@code exit-on-error:
 * false}); then the wait until the source's migration {@code completed} (run state {@code
 * postmigrate}) and the new QEMU runs the VM. Any failure is rolled back so that the VM runs on the
 * source again whenever that is safe (see {@link CprTransferException}).
 */
public final class CprTransferBuilder {
  /** The overall timeout unless set. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  /** The timeout of each phase unless set. */
  public static final Duration DEFAULT_PHASE_TIMEOUT = Duration.ofMinutes(2);

  /** How long the new QEMU's monitor may take to answer after {@code migrate}, unless set. */
  public static final Duration DEFAULT_TARGET_CONNECT_TIMEOUT = Duration.ofSeconds(30);

  private final QmpClient source;
  private final AtomicBoolean ran = new AtomicBoolean();
  private @Nullable Path cprChannel;
  private @Nullable Path mainChannel;
  private @Nullable Path targetQmp;
  private @Nullable Duration timeout;
  private @Nullable Duration phaseTimeout;
  private @Nullable Duration targetConnectTimeout;
  private @Nullable Boolean quitSourceAfterTransfer;
  private @Nullable CprProgressListener listener;

  CprTransferBuilder(QmpClient source) {
    this.source = source;
  }

  /**
   * The Unix socket on which the new QEMU waits for the cpr state; required. It is the {@code path}
   * of the new QEMU's {@code -incoming '{"channel-type":"cpr",...}'}, so the new QEMU must have
   * been started, and be listening there, before {@link #run()}.
   *
   * @throws IllegalArgumentException if the path has no file name
   */
  public CprTransferBuilder cprChannel(Path socket) {
    requireUnset(cprChannel, "cprChannel");
    cprChannel = checkSocketPath("cprChannel", socket);
    return this;
  }

  /**
   * The Unix socket of the main migration channel, for the device state; required. The new QEMU
   * listens there: given on its command line ({@code -incoming unix:PATH}), or sent with {@code
   * migrate-incoming} by {@link #run()} when it was started with {@code -incoming defer}.
   *
   * @throws IllegalArgumentException if the path has no file name
   */
  public CprTransferBuilder mainChannel(Path socket) {
    requireUnset(mainChannel, "mainChannel");
    mainChannel = checkSocketPath("mainChannel", socket);
    return this;
  }

  /**
   * The new QEMU's QMP socket ({@code -qmp unix:PATH,server=on,wait=off}); required. The result
   * hands the connection to it to the caller.
   *
   * @throws IllegalArgumentException if the path has no file name
   */
  public CprTransferBuilder targetQmp(Path socket) {
    requireUnset(targetQmp, "targetQmp");
    targetQmp = checkSocketPath("targetQmp", socket);
    return this;
  }

  /**
   * The limit on the whole transfer; {@link #DEFAULT_TIMEOUT} unless set. A rollback comes on top.
   */
  public CprTransferBuilder timeout(Duration timeout) {
    requireUnset(this.timeout, "timeout");
    this.timeout = checkDuration("timeout", timeout);
    return this;
  }

  /** The limit on each phase; {@link #DEFAULT_PHASE_TIMEOUT} unless set. */
  public CprTransferBuilder phaseTimeout(Duration timeout) {
    requireUnset(phaseTimeout, "phaseTimeout");
    phaseTimeout = checkDuration("phaseTimeout", timeout);
    return this;
  }

  /**
   * How long the new QEMU's monitor may take, after {@code migrate}, to appear and greet; {@link
   * #DEFAULT_TARGET_CONNECT_TIMEOUT} unless set. When it does not, the migration is cancelled and
   * the VM runs on in the source.
   */
  public CprTransferBuilder targetConnectTimeout(Duration timeout) {
    requireUnset(targetConnectTimeout, "targetConnectTimeout");
    targetConnectTimeout = checkDuration("targetConnectTimeout", timeout);
    return this;
  }

  /**
   * Whether {@link #run()} quits the source once the new QEMU is confirmed to run the VM, as {@link
   * CprTransfer#quitSource} does; {@code false} unless set, which leaves the source in {@code
   * postmigrate} for the caller to quit. If that quit is refused or fails, {@link #run()} throws a
   * {@link CprTransferException} in phase {@link CprPhase#QUIT} whose recovery is {@link
   * VmRecovery#NEEDS_ATTENTION} (the VM has moved), never {@link VmRecovery#UNTOUCHED}.
   */
  public CprTransferBuilder quitSourceAfterTransfer(boolean quit) {
    requireUnset(quitSourceAfterTransfer, "quitSourceAfterTransfer");
    quitSourceAfterTransfer = quit;
    return this;
  }

  /**
   * Receives the progress of {@link #run()}, on the calling thread. A slow listener lengthens the
   * VM's blackout when it is called during {@link CprPhase#LOAD}.
   */
  public CprTransferBuilder progressListener(CprProgressListener listener) {
    requireUnset(this.listener, "progressListener");
    this.listener = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /**
   * The preflight alone: every problem, at once. Changes nothing (the mode is set to {@code
   * cpr-transfer} for the moment of one query, to ask QEMU for its blockers, and set back). It
   * never connects to the cpr channel, which the new QEMU would take for the source.
   *
   * @throws IllegalStateException if a required path was not set, or another CPR operation runs on
   *     the same client
   */
  public PreflightReport check() {
    return TransferWorkflow.check(source, options());
  }

  /**
   * Runs the transfer.
   *
   * @return what the transfer did, with the connection to the new QEMU, which the caller now owns
   *     and closes
   * @throws CprPreflightException if the preflight found errors; nothing was changed
   * @throws CprTransferException if the transfer failed after it started; it was rolled back, and
   *     the exception says which QEMU has the VM
   * @throws IllegalStateException if a required path was not set, this builder ran already, or
   *     another CPR operation runs on the same client
   */
  public CprTransferResult run() {
    TransferOptions options = options();
    if (!ran.compareAndSet(false, true)) {
      throw new IllegalStateException("this CprTransferBuilder already ran; a builder runs once");
    }
    return TransferWorkflow.run(source, options);
  }

  private TransferOptions options() {
    if (cprChannel == null || mainChannel == null || targetQmp == null) {
      throw new IllegalStateException(
          "set cprChannel(path), mainChannel(path) and targetQmp(path) first");
    }
    return new TransferOptions(
        cprChannel,
        mainChannel,
        targetQmp,
        timeout != null ? timeout : DEFAULT_TIMEOUT,
        phaseTimeout != null ? phaseTimeout : DEFAULT_PHASE_TIMEOUT,
        targetConnectTimeout != null ? targetConnectTimeout : DEFAULT_TARGET_CONNECT_TIMEOUT,
        quitSourceAfterTransfer != null && quitSourceAfterTransfer,
        listener);
  }

  private void requireUnset(@Nullable Object current, String option) {
    if (ran.get()) {
      throw new IllegalStateException(
          "this CprTransferBuilder already ran; " + option + " cannot change");
    }
    if (current != null) {
      throw new IllegalStateException(option + " was already set to " + current);
    }
  }

  private static Path checkSocketPath(String option, Path socket) {
    Objects.requireNonNull(socket, option);
    if (socket.getFileName() == null) {
      throw new IllegalArgumentException(option + " has no file name: " + socket);
    }
    return socket;
  }

  static Duration checkDuration(String option, Duration value) {
    return CprSaveBuilder.checkDuration(option, value);
  }
}

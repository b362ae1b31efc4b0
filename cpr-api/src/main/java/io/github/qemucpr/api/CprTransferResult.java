package io.github.qemucpr.api;

import io.github.qemucpr.api.internal.PhaseDurations;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.RunState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * What a successful cpr-transfer did: the values it measured, which QEMU now runs the VM, and the
 * connection to it.
 *
 * <pre>{@code
 * CprTransferResult r = CprTransfer.from(source)
 *     .cprChannel(cpr).mainChannel(main).targetQmp(Path.of("/run/vm1/qmp-new.sock"))
 *     .run();
 * try (QmpClient target = r.target()) { // the caller owns it, and closes it
 *   System.out.println(r); // CprTransferResult[targetQmp=/run/vm1/qmp-new.sock, ...]
 *   CprTransfer.quitSource(source, target, Duration.ofSeconds(30));
 * }
 * }</pre>
 *
 * <p><b>Who owns the target client.</b> The new QEMU's monitor socket appears only after the
 * source's {@code migrate} (the new QEMU reads the cpr channel first), and the transfer must watch
 * that monitor from its very first event, since the new QEMU may resume the VM at once: so {@link
 * CprTransferBuilder#run()} itself connects to {@link #targetQmp()}, and the caller cannot hand it
 * a client beforehand. Rather than close that connection and make the caller connect again (a gap
 * in which the new QEMU's events are lost), the run hands it over: {@link #target()} belongs to the
 * caller from the moment {@code run()} returns, and the caller must close it when done (closing it
 * does not stop the new QEMU). The run keeps no reference to it; a run that fails, or fails to quit
 * the source, closes it itself. The values of the result say which QEMU that is without the client:
 * {@link #targetQmp()} and, when the kernel told it, {@link #targetProcessId()}.
 *
 * <p>The client is not a value of the result: {@link #equals}, {@link #hashCode} and {@link
 * #toString} leave it out, and {@link #toBuilder()} hands the same client on. There is no public
 * constructor, so that a value added later breaks no caller; a test of code that consumes results
 * may make one with {@link #builder()}.
 */
public final class CprTransferResult {
  private final QmpClient target;
  private final Path targetQmp;
  private final @Nullable Long targetProcessId;
  private final RunState targetState;
  private final RunState sourceState;
  private final Duration blackout;
  private final boolean blackoutExact;
  private final @Nullable Duration qemuDowntime;
  private final boolean incomingDeferred;
  private final boolean sourceQuit;
  private final Map<CprPhase, Duration> phaseDurations;
  private final Duration total;
  private final PreflightReport preflight;

  private CprTransferResult(Builder b) {
    this.target = Objects.requireNonNull(b.target, "target is required");
    this.targetQmp = Objects.requireNonNull(b.targetQmp, "targetQmp is required");
    this.targetProcessId = b.targetProcessId;
    this.targetState = Objects.requireNonNull(b.targetState, "targetState is required");
    this.sourceState = Objects.requireNonNull(b.sourceState, "sourceState is required");
    this.blackout = Objects.requireNonNull(b.blackout, "blackout is required");
    this.blackoutExact = b.blackoutExact;
    this.qemuDowntime = b.qemuDowntime;
    this.incomingDeferred = b.incomingDeferred;
    this.sourceQuit = b.sourceQuit;
    this.phaseDurations = b.phaseDurations;
    this.total = Objects.requireNonNull(b.total, "total is required");
    this.preflight = Objects.requireNonNull(b.preflight, "preflight is required");
  }

  /** A builder with no value set; {@code phaseDurations} is empty and the flags are false. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this result's values, and its client. */
  public Builder toBuilder() {
    Builder b =
        new Builder()
            .target(target)
            .targetQmp(targetQmp)
            .targetState(targetState)
            .sourceState(sourceState)
            .blackout(blackout)
            .blackoutExact(blackoutExact)
            .qemuDowntime(qemuDowntime)
            .incomingDeferred(incomingDeferred)
            .sourceQuit(sourceQuit)
            .phaseDurations(phaseDurations)
            .total(total)
            .preflight(preflight);
    b.targetProcessId = targetProcessId;
    return b;
  }

  /**
   * The connection to the new QEMU, which now runs the VM. The caller owns it and must close it;
   * see the class description.
   */
  public QmpClient target() {
    return target;
  }

  /** The new QEMU's QMP socket, as given to {@link CprTransferBuilder#targetQmp(Path)}. */
  public Path targetQmp() {
    return targetQmp;
  }

  /**
   * The new QEMU's process id, from the connection's peer credentials ({@link
   * QmpClient#peerProcessId()}); empty where the kernel did not tell it.
   */
  public OptionalLong targetProcessId() {
    Long pid = targetProcessId;
    return pid != null ? OptionalLong.of(pid) : OptionalLong.empty();
  }

  /**
   * The new QEMU's run state at the end: {@code running}, or {@code paused} or {@code suspended}
   * for a VM that was so before.
   */
  public RunState targetState() {
    return targetState;
  }

  /**
   * The source's run state at the end: {@code postmigrate} (the last state seen, also when {@link
   * #sourceQuit()}).
   */
  public RunState sourceState() {
    return sourceState;
  }

  /**
   * The time the VM did not run: from the source's {@code STOP} event to the new QEMU's {@code
   * RESUME} event (QEMU's own timestamps, on the same host clock). Zero for a VM that did not run
   * before. See {@link #blackoutExact()}.
   */
  public Duration blackout() {
    return blackout;
  }

  /**
   * Whether {@link #blackout()} ends at the new QEMU's {@code RESUME} event. A new QEMU started
   * with its main channel on the command line often resumes the VM before its monitor answers, so
   * its {@code RESUME} is not seen: the blackout then ends when {@code query-status} first read
   * {@code running}, an upper bound. With {@code -incoming defer} the event is always seen.
   */
  public boolean blackoutExact() {
    return blackoutExact;
  }

  /**
   * The {@code downtime} the source reported in {@code query-migrate}, or {@code null} when it
   * reported none.
   */
  public @Nullable Duration qemuDowntime() {
    return qemuDowntime;
  }

  /**
   * Whether the new QEMU was started with {@code -incoming defer}, so that the transfer sent it
   * {@code migrate-incoming}.
   */
  public boolean incomingDeferred() {
    return incomingDeferred;
  }

  /**
   * Whether the transfer quit the source ({@link
   * CprTransferBuilder#quitSourceAfterTransfer(boolean)}).
   */
  public boolean sourceQuit() {
    return sourceQuit;
  }

  /** The time spent in each phase that ran, in phase order; unmodifiable. */
  public Map<CprPhase, Duration> phaseDurations() {
    return phaseDurations;
  }

  /** The time spent in {@code phase}, zero when it did not run. */
  public Duration duration(CprPhase phase) {
    return phaseDurations.getOrDefault(phase, Duration.ZERO);
  }

  /** The time from the start of {@code run()} to its end. */
  public Duration total() {
    return total;
  }

  /** The preflight's report, whose warnings the transfer went ahead with. */
  public PreflightReport preflight() {
    return preflight;
  }

  /** Whether {@code o} is a transfer result with the same values; the client is not compared. */
  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof CprTransferResult)) {
      return false;
    }
    CprTransferResult r = (CprTransferResult) o;
    return targetQmp.equals(r.targetQmp)
        && Objects.equals(targetProcessId, r.targetProcessId)
        && targetState.equals(r.targetState)
        && sourceState.equals(r.sourceState)
        && blackout.equals(r.blackout)
        && blackoutExact == r.blackoutExact
        && Objects.equals(qemuDowntime, r.qemuDowntime)
        && incomingDeferred == r.incomingDeferred
        && sourceQuit == r.sourceQuit
        && phaseDurations.equals(r.phaseDurations)
        && total.equals(r.total)
        && preflight.equals(r.preflight);
  }

  /** A hash of all the values, not of the client. */
  @Override
  public int hashCode() {
    return Objects.hash(
        targetQmp,
        targetProcessId,
        targetState,
        sourceState,
        blackout,
        blackoutExact,
        qemuDowntime,
        incomingDeferred,
        sourceQuit,
        phaseDurations,
        total,
        preflight);
  }

  /**
   * Every value by name, as a record prints: {@code CprTransferResult[targetQmp=..., ...]}; not the
   * client. An unknown process id prints as {@code null}.
   */
  @Override
  public String toString() {
    return "CprTransferResult[targetQmp="
        + targetQmp
        + ", targetProcessId="
        + targetProcessId
        + ", targetState="
        + targetState
        + ", sourceState="
        + sourceState
        + ", blackout="
        + blackout
        + ", blackoutExact="
        + blackoutExact
        + ", qemuDowntime="
        + qemuDowntime
        + ", incomingDeferred="
        + incomingDeferred
        + ", sourceQuit="
        + sourceQuit
        + ", phaseDurations="
        + phaseDurations
        + ", total="
        + total
        + ", preflight="
        + preflight
        + "]";
  }

  /**
   * Builds a {@link CprTransferResult}. Each setter rejects {@code null} unless the value may be
   * absent; {@link #build()} requires {@code target}, {@code targetQmp}, {@code targetState},
   * {@code sourceState}, {@code blackout}, {@code total} and {@code preflight}. A setter called
   * again replaces the value. Not thread-safe.
   */
  public static final class Builder {
    private @Nullable QmpClient target;
    private @Nullable Path targetQmp;
    private @Nullable Long targetProcessId;
    private @Nullable RunState targetState;
    private @Nullable RunState sourceState;
    private @Nullable Duration blackout;
    private boolean blackoutExact;
    private @Nullable Duration qemuDowntime;
    private boolean incomingDeferred;
    private boolean sourceQuit;
    private Map<CprPhase, Duration> phaseDurations = Map.of();
    private @Nullable Duration total;
    private @Nullable PreflightReport preflight;

    private Builder() {}

    /**
     * Sets {@link CprTransferResult#target()}, which the result hands to whoever receives it, to
     * close; required.
     */
    public Builder target(QmpClient target) {
      this.target = Objects.requireNonNull(target, "target");
      return this;
    }

    /** Sets {@link CprTransferResult#targetQmp()}; required. */
    public Builder targetQmp(Path targetQmp) {
      this.targetQmp = Objects.requireNonNull(targetQmp, "targetQmp");
      return this;
    }

    /**
     * Sets {@link CprTransferResult#targetProcessId()}; empty unless set.
     *
     * @throws IllegalArgumentException if {@code pid} is not positive
     */
    public Builder targetProcessId(long pid) {
      if (pid <= 0) {
        throw new IllegalArgumentException("targetProcessId must be positive: " + pid);
      }
      this.targetProcessId = pid;
      return this;
    }

    /** Sets {@link CprTransferResult#targetState()}; required. */
    public Builder targetState(RunState targetState) {
      this.targetState = Objects.requireNonNull(targetState, "targetState");
      return this;
    }

    /** Sets {@link CprTransferResult#sourceState()}; required. */
    public Builder sourceState(RunState sourceState) {
      this.sourceState = Objects.requireNonNull(sourceState, "sourceState");
      return this;
    }

    /** Sets {@link CprTransferResult#blackout()}; required. */
    public Builder blackout(Duration blackout) {
      this.blackout = Objects.requireNonNull(blackout, "blackout");
      return this;
    }

    /** Sets {@link CprTransferResult#blackoutExact()}; {@code false} unless set. */
    public Builder blackoutExact(boolean blackoutExact) {
      this.blackoutExact = blackoutExact;
      return this;
    }

    /** Sets {@link CprTransferResult#qemuDowntime()}; {@code null} (none reported) unless set. */
    public Builder qemuDowntime(@Nullable Duration qemuDowntime) {
      this.qemuDowntime = qemuDowntime;
      return this;
    }

    /** Sets {@link CprTransferResult#incomingDeferred()}; {@code false} unless set. */
    public Builder incomingDeferred(boolean incomingDeferred) {
      this.incomingDeferred = incomingDeferred;
      return this;
    }

    /** Sets {@link CprTransferResult#sourceQuit()}; {@code false} unless set. */
    public Builder sourceQuit(boolean sourceQuit) {
      this.sourceQuit = sourceQuit;
      return this;
    }

    /**
     * Sets {@link CprTransferResult#phaseDurations()}, copied in phase order; empty unless set.
     *
     * @throws NullPointerException if the map, a phase or a duration is null
     */
    public Builder phaseDurations(Map<CprPhase, Duration> phaseDurations) {
      this.phaseDurations = PhaseDurations.copyOf(phaseDurations);
      return this;
    }

    /** Sets {@link CprTransferResult#total()}; required. */
    public Builder total(Duration total) {
      this.total = Objects.requireNonNull(total, "total");
      return this;
    }

    /** Sets {@link CprTransferResult#preflight()}; required. */
    public Builder preflight(PreflightReport preflight) {
      this.preflight = Objects.requireNonNull(preflight, "preflight");
      return this;
    }

    /**
     * The result.
     *
     * @throws NullPointerException if a required value was not set; the message names it, such as
     *     {@code "target is required"}
     */
    public CprTransferResult build() {
      return new CprTransferResult(this);
    }
  }
}

package io.github.qemucpr.api;

import io.github.qemucpr.api.internal.PhaseDurations;
import io.github.qemucpr.qmp.QemuVersion;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.RunState;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a successful cpr-exec did: the values it measured, and the new connection to the QEMU
 * monitor.
 *
 * <pre>{@code
 * CprExecResult r = CprExec.of(qmp).newCommand(argv).stateFile(stateFile).run();
 * try (QmpClient again = r.client()) { // the caller owns it, and closes it
 *   System.out.println("pid " + r.processId() + " now runs " + r.versionAfter()
 *       + "; blackout " + r.blackout());
 * }
 * }</pre>
 *
 * <p><b>Who owns the client.</b> QEMU closes its monitor connection when it executes the new
 * binary, so the client given to {@link CprExec#of} is closed after the run; {@link
 * CprExecBuilder#run()} connects again to the same socket, and that new connection is {@link
 * #client()}. It belongs to the caller from the moment {@code run()} returns: the caller closes it
 * when done (the VM runs on). The run keeps no reference to it; a run that fails closes it itself.
 * The client is not a value of the result: {@link #equals}, {@link #hashCode} and {@link #toString}
 * leave it out, and {@link #toBuilder()} hands the same client on.
 *
 * <p>There is no public constructor, so that a value added later breaks no caller; a test of code
 * that consumes results may make one with {@link #builder()}.
 */
public final class CprExecResult {
  private final QmpClient client;
  private final RunState runState;
  private final long processId;
  private final QemuVersion versionBefore;
  private final QemuVersion versionAfter;
  private final Duration blackout;
  private final boolean blackoutExact;
  private final Duration monitorGap;
  private final Map<CprPhase, Duration> phaseDurations;
  private final Duration total;
  private final PreflightReport preflight;

  private CprExecResult(Builder b) {
    this.client = Objects.requireNonNull(b.client, "client is required");
    this.runState = Objects.requireNonNull(b.runState, "runState is required");
    this.processId = b.processId;
    this.versionBefore = Objects.requireNonNull(b.versionBefore, "versionBefore is required");
    this.versionAfter = Objects.requireNonNull(b.versionAfter, "versionAfter is required");
    this.blackout = Objects.requireNonNull(b.blackout, "blackout is required");
    this.blackoutExact = b.blackoutExact;
    this.monitorGap = Objects.requireNonNull(b.monitorGap, "monitorGap is required");
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
    return new Builder()
        .client(client)
        .runState(runState)
        .processId(processId)
        .versionBefore(versionBefore)
        .versionAfter(versionAfter)
        .blackout(blackout)
        .blackoutExact(blackoutExact)
        .monitorGap(monitorGap)
        .phaseDurations(phaseDurations)
        .total(total)
        .preflight(preflight);
  }

  /**
   * The connection to the new QEMU's monitor, on the same socket as before. The caller owns it and
   * must close it; see the class description.
   */
  public QmpClient client() {
    return client;
  }

  /**
   * The run state at the end: {@code running}, or {@code paused} or {@code suspended} for a VM that
   * was so before.
   */
  public RunState runState() {
    return runState;
  }

  /** The QEMU process id, the same before and after (checked). */
  public long processId() {
    return processId;
  }

  /** The QEMU version before the exec. */
  public QemuVersion versionBefore() {
    return versionBefore;
  }

  /** The QEMU version of the new binary. */
  public QemuVersion versionAfter() {
    return versionAfter;
  }

  /**
   * The time the VM did not run: from QEMU's {@code STOP} event before the exec to its {@code
   * RESUME} after (QEMU's own timestamps); for a guest the exec suspended, from its {@code SUSPEND}
   * to its {@code WAKEUP}; zero for a VM that did not run before, or a guest left suspended. See
   * {@link #blackoutExact()}.
   */
  public Duration blackout() {
    return blackout;
  }

  /**
   * Whether {@link #blackout()} ends at the {@code RESUME} event. The new QEMU may resume the VM
   * before its monitor has a client, and such an event is lost: the blackout then ends when {@code
   * query-status} first read {@code running}, an upper bound.
   */
  public boolean blackoutExact() {
    return blackoutExact;
  }

  /**
   * At least how long there was no monitor connection: from when the old connection was seen closed
   * to when the new one was ready (events QEMU sent in between, such as an early {@code RESUME},
   * are lost).
   */
  public Duration monitorGap() {
    return monitorGap;
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

  /** The preflight's report, whose warnings the exec went ahead with. */
  public PreflightReport preflight() {
    return preflight;
  }

  /** Whether {@code o} is an exec result with the same values; the client is not compared. */
  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof CprExecResult)) {
      return false;
    }
    CprExecResult r = (CprExecResult) o;
    return runState.equals(r.runState)
        && processId == r.processId
        && versionBefore.equals(r.versionBefore)
        && versionAfter.equals(r.versionAfter)
        && blackout.equals(r.blackout)
        && blackoutExact == r.blackoutExact
        && monitorGap.equals(r.monitorGap)
        && phaseDurations.equals(r.phaseDurations)
        && total.equals(r.total)
        && preflight.equals(r.preflight);
  }

  /** A hash of all the values, not of the client. */
  @Override
  public int hashCode() {
    return Objects.hash(
        runState,
        processId,
        versionBefore,
        versionAfter,
        blackout,
        blackoutExact,
        monitorGap,
        phaseDurations,
        total,
        preflight);
  }

  /**
   * Every value by name, as a record prints: {@code CprExecResult[runState=..., ...]}; not the
   * client.
   */
  @Override
  public String toString() {
    return "CprExecResult[runState="
        + runState
        + ", processId="
        + processId
        + ", versionBefore="
        + versionBefore
        + ", versionAfter="
        + versionAfter
        + ", blackout="
        + blackout
        + ", blackoutExact="
        + blackoutExact
        + ", monitorGap="
        + monitorGap
        + ", phaseDurations="
        + phaseDurations
        + ", total="
        + total
        + ", preflight="
        + preflight
        + "]";
  }

  /**
   * Builds a {@link CprExecResult}. Each setter rejects {@code null}; {@link #build()} requires
   * every value but {@code processId}, {@code blackoutExact} and {@code phaseDurations}. A setter
   * called again replaces the value. Not thread-safe.
   */
  public static final class Builder {
    private @Nullable QmpClient client;
    private @Nullable RunState runState;
    private long processId;
    private @Nullable QemuVersion versionBefore;
    private @Nullable QemuVersion versionAfter;
    private @Nullable Duration blackout;
    private boolean blackoutExact;
    private @Nullable Duration monitorGap;
    private Map<CprPhase, Duration> phaseDurations = Map.of();
    private @Nullable Duration total;
    private @Nullable PreflightReport preflight;

    private Builder() {}

    /**
     * Sets {@link CprExecResult#client()}, which the result hands to whoever receives it, to close;
     * required.
     */
    public Builder client(QmpClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /** Sets {@link CprExecResult#runState()}; required. */
    public Builder runState(RunState runState) {
      this.runState = Objects.requireNonNull(runState, "runState");
      return this;
    }

    /** Sets {@link CprExecResult#processId()}; 0 unless set. */
    public Builder processId(long processId) {
      this.processId = processId;
      return this;
    }

    /** Sets {@link CprExecResult#versionBefore()}; required. */
    public Builder versionBefore(QemuVersion versionBefore) {
      this.versionBefore = Objects.requireNonNull(versionBefore, "versionBefore");
      return this;
    }

    /** Sets {@link CprExecResult#versionAfter()}; required. */
    public Builder versionAfter(QemuVersion versionAfter) {
      this.versionAfter = Objects.requireNonNull(versionAfter, "versionAfter");
      return this;
    }

    /** Sets {@link CprExecResult#blackout()}; required. */
    public Builder blackout(Duration blackout) {
      this.blackout = Objects.requireNonNull(blackout, "blackout");
      return this;
    }

    /** Sets {@link CprExecResult#blackoutExact()}; {@code false} unless set. */
    public Builder blackoutExact(boolean blackoutExact) {
      this.blackoutExact = blackoutExact;
      return this;
    }

    /** Sets {@link CprExecResult#monitorGap()}; required. */
    public Builder monitorGap(Duration monitorGap) {
      this.monitorGap = Objects.requireNonNull(monitorGap, "monitorGap");
      return this;
    }

    /**
     * Sets {@link CprExecResult#phaseDurations()}, copied in phase order; empty unless set.
     *
     * @throws NullPointerException if the map, a phase or a duration is null
     */
    public Builder phaseDurations(Map<CprPhase, Duration> phaseDurations) {
      this.phaseDurations = PhaseDurations.copyOf(phaseDurations);
      return this;
    }

    /** Sets {@link CprExecResult#total()}; required. */
    public Builder total(Duration total) {
      this.total = Objects.requireNonNull(total, "total");
      return this;
    }

    /** Sets {@link CprExecResult#preflight()}; required. */
    public Builder preflight(PreflightReport preflight) {
      this.preflight = Objects.requireNonNull(preflight, "preflight");
      return this;
    }

    /**
     * The result.
     *
     * @throws NullPointerException if a required value was not set; the message names it, such as
     *     {@code "client is required"}
     */
    public CprExecResult build() {
      return new CprExecResult(this);
    }
  }
}

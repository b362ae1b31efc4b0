package io.github.qemucpr.api;

import io.github.qemucpr.api.internal.PhaseDurations;
import io.github.qemucpr.qmp.command.RunState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a successful restore did. Immutable; two results are equal when all their values are.
 *
 * <pre>{@code
 * CprRestoreResult done = CprReboot.restore(qmp).from(stateFile).run();
 * System.out.println(done.runState() + ", VM down for " + done.outage());
 * }</pre>
 *
 * <p>{@link CprRestoreBuilder#run()} makes it. A test of code that consumes results may make one
 * with {@link #builder()}; there is no public constructor, so that a value added later breaks no
 * caller.
 */
public final class CprRestoreResult {
  private final Path stateFile;
  private final @Nullable Path manifestFile;
  private final boolean markedRestored;
  private final RunState runState;
  private final boolean wokenUp;
  private final Map<CprPhase, Duration> phaseDurations;
  private final Duration total;
  private final @Nullable Duration outage;

  private CprRestoreResult(Builder b) {
    this.stateFile = Objects.requireNonNull(b.stateFile, "stateFile is required");
    this.manifestFile = b.manifestFile;
    this.markedRestored = b.markedRestored;
    this.runState = Objects.requireNonNull(b.runState, "runState is required");
    this.wokenUp = b.wokenUp;
    this.phaseDurations = b.phaseDurations;
    this.total = Objects.requireNonNull(b.total, "total is required");
    this.outage = b.outage;
    if (markedRestored && manifestFile == null) {
      throw new IllegalArgumentException("markedRestored without a manifestFile");
    }
  }

  /** A builder with no value set; {@code phaseDurations} is empty and the flags are false. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this result's values. */
  public Builder toBuilder() {
    return new Builder()
        .stateFile(stateFile)
        .manifestFile(manifestFile)
        .markedRestored(markedRestored)
        .runState(runState)
        .wokenUp(wokenUp)
        .phaseDurations(phaseDurations)
        .total(total)
        .outage(outage);
  }

  /** The state file that was loaded. */
  public Path stateFile() {
    return stateFile;
  }

  /** The checkpoint's manifest; {@code null} when there was none. */
  public @Nullable Path manifestFile() {
    return manifestFile;
  }

  /**
   * Whether the manifest now says the checkpoint was restored; {@code false} without a manifest,
   * and when writing that mark failed after the VM was loaded (the progress listener was told why).
   * The "restore started" mark, written before the load, keeps such a checkpoint from a second
   * restore all the same.
   */
  public boolean markedRestored() {
    return markedRestored;
  }

  /** The run state at the end ({@code running}, or {@code suspended} when not woken). */
  public RunState runState() {
    return runState;
  }

  /** Whether the restore woke a suspended guest with {@code system_wakeup}. */
  public boolean wokenUp() {
    return wokenUp;
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

  /**
   * The time the VM did not run across the whole cycle: from the save's blackout start (from the
   * manifest) to this QEMU's {@code RESUME} or {@code WAKEUP}; {@code null} without a manifest, or
   * when the VM does not run at the end.
   */
  public @Nullable Duration outage() {
    return outage;
  }

  /** Whether {@code o} is a restore result with the same values. */
  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof CprRestoreResult)) {
      return false;
    }
    CprRestoreResult r = (CprRestoreResult) o;
    return stateFile.equals(r.stateFile)
        && Objects.equals(manifestFile, r.manifestFile)
        && markedRestored == r.markedRestored
        && runState.equals(r.runState)
        && wokenUp == r.wokenUp
        && phaseDurations.equals(r.phaseDurations)
        && total.equals(r.total)
        && Objects.equals(outage, r.outage);
  }

  /** A hash of all the values. */
  @Override
  public int hashCode() {
    return Objects.hash(
        stateFile, manifestFile, markedRestored, runState, wokenUp, phaseDurations, total, outage);
  }

  /** Every value by name, as a record prints: {@code CprRestoreResult[stateFile=..., ...]}. */
  @Override
  public String toString() {
    return "CprRestoreResult[stateFile="
        + stateFile
        + ", manifestFile="
        + manifestFile
        + ", markedRestored="
        + markedRestored
        + ", runState="
        + runState
        + ", wokenUp="
        + wokenUp
        + ", phaseDurations="
        + phaseDurations
        + ", total="
        + total
        + ", outage="
        + outage
        + "]";
  }

  /**
   * Builds a {@link CprRestoreResult}. Each setter rejects {@code null} unless the value may be
   * absent; {@link #build()} requires {@code stateFile}, {@code runState} and {@code total}. A
   * setter called again replaces the value. Not thread-safe.
   */
  public static final class Builder {
    private @Nullable Path stateFile;
    private @Nullable Path manifestFile;
    private boolean markedRestored;
    private @Nullable RunState runState;
    private boolean wokenUp;
    private Map<CprPhase, Duration> phaseDurations = Map.of();
    private @Nullable Duration total;
    private @Nullable Duration outage;

    private Builder() {}

    /** Sets {@link CprRestoreResult#stateFile()}; required. */
    public Builder stateFile(Path stateFile) {
      this.stateFile = Objects.requireNonNull(stateFile, "stateFile");
      return this;
    }

    /** Sets {@link CprRestoreResult#manifestFile()}; {@code null} (no manifest) unless set. */
    public Builder manifestFile(@Nullable Path manifestFile) {
      this.manifestFile = manifestFile;
      return this;
    }

    /**
     * Sets {@link CprRestoreResult#markedRestored()}; {@code false} unless set. {@code true} needs
     * a {@code manifestFile}.
     */
    public Builder markedRestored(boolean markedRestored) {
      this.markedRestored = markedRestored;
      return this;
    }

    /** Sets {@link CprRestoreResult#runState()}; required. */
    public Builder runState(RunState runState) {
      this.runState = Objects.requireNonNull(runState, "runState");
      return this;
    }

    /** Sets {@link CprRestoreResult#wokenUp()}; {@code false} unless set. */
    public Builder wokenUp(boolean wokenUp) {
      this.wokenUp = wokenUp;
      return this;
    }

    /**
     * Sets {@link CprRestoreResult#phaseDurations()}, copied in phase order; empty unless set.
     *
     * @throws NullPointerException if the map, a phase or a duration is null
     */
    public Builder phaseDurations(Map<CprPhase, Duration> phaseDurations) {
      this.phaseDurations = PhaseDurations.copyOf(phaseDurations);
      return this;
    }

    /** Sets {@link CprRestoreResult#total()}; required. */
    public Builder total(Duration total) {
      this.total = Objects.requireNonNull(total, "total");
      return this;
    }

    /** Sets {@link CprRestoreResult#outage()}; {@code null} (not known) unless set. */
    public Builder outage(@Nullable Duration outage) {
      this.outage = outage;
      return this;
    }

    /**
     * The result.
     *
     * @throws NullPointerException if a required value was not set; the message names it, such as
     *     {@code "stateFile is required"}
     * @throws IllegalArgumentException if {@code markedRestored} is set without a {@code
     *     manifestFile}
     */
    public CprRestoreResult build() {
      return new CprRestoreResult(this);
    }
  }
}

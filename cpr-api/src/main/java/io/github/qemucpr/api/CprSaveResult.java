package io.github.qemucpr.api;

import io.github.qemucpr.api.internal.PhaseDurations;
import io.github.qemucpr.qmp.command.RunState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a successful save did. Immutable; two results are equal when all their values are.
 *
 * <pre>{@code
 * CprSaveResult saved = CprReboot.save(qmp).to(stateFile).run();
 * System.out.println("blackout " + saved.blackout() + ", " + saved.bytesWritten() + " bytes");
 * }</pre>
 *
 * <p>{@link CprSaveBuilder#run()} makes it. A test of code that consumes results may make one with
 * {@link #builder()}; there is no public constructor, so that a value added later breaks no caller.
 */
public final class CprSaveResult {
  private final Path stateFile;
  private final Path manifestFile;
  private final long bytesWritten;
  private final String sha256;
  private final Duration blackout;
  private final @Nullable Duration qemuDowntime;
  private final Map<CprPhase, Duration> phaseDurations;
  private final Duration total;
  private final boolean memorySavedInPlace;
  private final boolean suspendedByUs;
  private final RunState runStateBefore;
  private final boolean quit;
  private final PreflightReport preflight;

  private CprSaveResult(Builder b) {
    this.stateFile = Objects.requireNonNull(b.stateFile, "stateFile is required");
    this.manifestFile = Objects.requireNonNull(b.manifestFile, "manifestFile is required");
    this.bytesWritten = b.bytesWritten;
    this.sha256 = Objects.requireNonNull(b.sha256, "sha256 is required");
    this.blackout = Objects.requireNonNull(b.blackout, "blackout is required");
    this.qemuDowntime = b.qemuDowntime;
    this.phaseDurations = b.phaseDurations;
    this.total = Objects.requireNonNull(b.total, "total is required");
    this.memorySavedInPlace = b.memorySavedInPlace;
    this.suspendedByUs = b.suspendedByUs;
    this.runStateBefore = Objects.requireNonNull(b.runStateBefore, "runStateBefore is required");
    this.quit = b.quit;
    this.preflight = Objects.requireNonNull(b.preflight, "preflight is required");
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
        .bytesWritten(bytesWritten)
        .sha256(sha256)
        .blackout(blackout)
        .qemuDowntime(qemuDowntime)
        .phaseDurations(phaseDurations)
        .total(total)
        .memorySavedInPlace(memorySavedInPlace)
        .suspendedByUs(suspendedByUs)
        .runStateBefore(runStateBefore)
        .quit(quit)
        .preflight(preflight);
  }

  /** The state file, renamed into place. */
  public Path stateFile() {
    return stateFile;
  }

  /** The manifest beside it ({@code <name>.json}). */
  public Path manifestFile() {
    return manifestFile;
  }

  /** The state file's size in bytes. */
  public long bytesWritten() {
    return bytesWritten;
  }

  /** The state file's SHA-256, in lower-case hex. */
  public String sha256() {
    return sha256;
  }

  /**
   * The time the VM did not run before the state was safe: from the guest's suspend (when the save
   * suspended it) or QEMU's {@code STOP} event, to the rename of the fsync'ed state file and its
   * manifest. The VM stays down after that until it is restored. Zero for a VM that was paused
   * before the save.
   */
  public Duration blackout() {
    return blackout;
  }

  /**
   * The {@code downtime} QEMU itself reported in {@code query-migrate}, or {@code null} when it
   * reported none.
   */
  public @Nullable Duration qemuDowntime() {
    return qemuDowntime;
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
   * Whether all guest RAM stayed in its shared files ({@code x-ignore-shared}); otherwise RAM was
   * copied into the state file.
   */
  public boolean memorySavedInPlace() {
    return memorySavedInPlace;
  }

  /** Whether the save suspended the guest. */
  public boolean suspendedByUs() {
    return suspendedByUs;
  }

  /** The run state before the save. */
  public RunState runStateBefore() {
    return runStateBefore;
  }

  /** Whether QEMU quit after the save. */
  public boolean quit() {
    return quit;
  }

  /** The preflight's report, whose warnings the save went ahead with. */
  public PreflightReport preflight() {
    return preflight;
  }

  /** Whether {@code o} is a save result with the same values. */
  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof CprSaveResult)) {
      return false;
    }
    CprSaveResult r = (CprSaveResult) o;
    return stateFile.equals(r.stateFile)
        && manifestFile.equals(r.manifestFile)
        && bytesWritten == r.bytesWritten
        && sha256.equals(r.sha256)
        && blackout.equals(r.blackout)
        && Objects.equals(qemuDowntime, r.qemuDowntime)
        && phaseDurations.equals(r.phaseDurations)
        && total.equals(r.total)
        && memorySavedInPlace == r.memorySavedInPlace
        && suspendedByUs == r.suspendedByUs
        && runStateBefore.equals(r.runStateBefore)
        && quit == r.quit
        && preflight.equals(r.preflight);
  }

  /** A hash of all the values. */
  @Override
  public int hashCode() {
    return Objects.hash(
        stateFile,
        manifestFile,
        bytesWritten,
        sha256,
        blackout,
        qemuDowntime,
        phaseDurations,
        total,
        memorySavedInPlace,
        suspendedByUs,
        runStateBefore,
        quit,
        preflight);
  }

  /** Every value by name, as a record prints: {@code CprSaveResult[stateFile=..., ...]}. */
  @Override
  public String toString() {
    return "CprSaveResult[stateFile="
        + stateFile
        + ", manifestFile="
        + manifestFile
        + ", bytesWritten="
        + bytesWritten
        + ", sha256="
        + sha256
        + ", blackout="
        + blackout
        + ", qemuDowntime="
        + qemuDowntime
        + ", phaseDurations="
        + phaseDurations
        + ", total="
        + total
        + ", memorySavedInPlace="
        + memorySavedInPlace
        + ", suspendedByUs="
        + suspendedByUs
        + ", runStateBefore="
        + runStateBefore
        + ", quit="
        + quit
        + ", preflight="
        + preflight
        + "]";
  }

  /**
   * Builds a {@link CprSaveResult}. Each setter rejects {@code null} unless the value may be
   * absent; {@link #build()} requires {@code stateFile}, {@code manifestFile}, {@code sha256},
   * {@code blackout}, {@code total}, {@code runStateBefore} and {@code preflight}. A setter called
   * again replaces the value. Not thread-safe.
   */
  public static final class Builder {
    private @Nullable Path stateFile;
    private @Nullable Path manifestFile;
    private long bytesWritten;
    private @Nullable String sha256;
    private @Nullable Duration blackout;
    private @Nullable Duration qemuDowntime;
    private Map<CprPhase, Duration> phaseDurations = Map.of();
    private @Nullable Duration total;
    private boolean memorySavedInPlace;
    private boolean suspendedByUs;
    private @Nullable RunState runStateBefore;
    private boolean quit;
    private @Nullable PreflightReport preflight;

    private Builder() {}

    /** Sets {@link CprSaveResult#stateFile()}; required. */
    public Builder stateFile(Path stateFile) {
      this.stateFile = Objects.requireNonNull(stateFile, "stateFile");
      return this;
    }

    /** Sets {@link CprSaveResult#manifestFile()}; required. */
    public Builder manifestFile(Path manifestFile) {
      this.manifestFile = Objects.requireNonNull(manifestFile, "manifestFile");
      return this;
    }

    /** Sets {@link CprSaveResult#bytesWritten()}; 0 unless set. */
    public Builder bytesWritten(long bytesWritten) {
      this.bytesWritten = bytesWritten;
      return this;
    }

    /** Sets {@link CprSaveResult#sha256()}; required. */
    public Builder sha256(String sha256) {
      this.sha256 = Objects.requireNonNull(sha256, "sha256");
      return this;
    }

    /** Sets {@link CprSaveResult#blackout()}; required. */
    public Builder blackout(Duration blackout) {
      this.blackout = Objects.requireNonNull(blackout, "blackout");
      return this;
    }

    /** Sets {@link CprSaveResult#qemuDowntime()}; {@code null} (none reported) unless set. */
    public Builder qemuDowntime(@Nullable Duration qemuDowntime) {
      this.qemuDowntime = qemuDowntime;
      return this;
    }

    /**
     * Sets {@link CprSaveResult#phaseDurations()}, copied in phase order; empty unless set.
     *
     * @throws NullPointerException if the map, a phase or a duration is null
     */
    public Builder phaseDurations(Map<CprPhase, Duration> phaseDurations) {
      this.phaseDurations = PhaseDurations.copyOf(phaseDurations);
      return this;
    }

    /** Sets {@link CprSaveResult#total()}; required. */
    public Builder total(Duration total) {
      this.total = Objects.requireNonNull(total, "total");
      return this;
    }

    /** Sets {@link CprSaveResult#memorySavedInPlace()}; {@code false} unless set. */
    public Builder memorySavedInPlace(boolean memorySavedInPlace) {
      this.memorySavedInPlace = memorySavedInPlace;
      return this;
    }

    /** Sets {@link CprSaveResult#suspendedByUs()}; {@code false} unless set. */
    public Builder suspendedByUs(boolean suspendedByUs) {
      this.suspendedByUs = suspendedByUs;
      return this;
    }

    /** Sets {@link CprSaveResult#runStateBefore()}; required. */
    public Builder runStateBefore(RunState runStateBefore) {
      this.runStateBefore = Objects.requireNonNull(runStateBefore, "runStateBefore");
      return this;
    }

    /** Sets {@link CprSaveResult#quit()}; {@code false} unless set. */
    public Builder quit(boolean quit) {
      this.quit = quit;
      return this;
    }

    /** Sets {@link CprSaveResult#preflight()}; required. */
    public Builder preflight(PreflightReport preflight) {
      this.preflight = Objects.requireNonNull(preflight, "preflight");
      return this;
    }

    /**
     * The result.
     *
     * @throws NullPointerException if a required value was not set; the message names it, such as
     *     {@code "stateFile is required"}
     */
    public CprSaveResult build() {
      return new CprSaveResult(this);
    }
  }
}

package io.github.qemucpr.api;

import io.github.qemucpr.qmp.command.RunState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a successful restore did.
 *
 * @param stateFile the state file that was loaded
 * @param manifestFile the checkpoint's manifest; {@code null} when there was none
 * @param markedRestored whether the manifest now says the checkpoint was restored; {@code false}
 *     without a manifest, and when writing that mark failed after the VM was loaded (the progress
 *     listener was told why). The "restore started" mark, written before the load, keeps such a
 *     checkpoint from a second restore all the same.
 * @param runState the run state at the end ({@code running}, or {@code suspended} when not woken)
 * @param wokenUp whether the restore woke a suspended guest with {@code system_wakeup}
 * @param phaseDurations the time spent in each phase that ran, in phase order
 * @param total the time from the start of {@code run()} to its end
 * @param outage the time the VM did not run across the whole cycle: from the save's blackout start
 *     (from the manifest) to this QEMU's {@code RESUME} or {@code WAKEUP}; {@code null} without a
 *     manifest, or when the VM does not run at the end
 */
public record CprRestoreResult(
    Path stateFile,
    @Nullable Path manifestFile,
    boolean markedRestored,
    RunState runState,
    boolean wokenUp,
    Map<CprPhase, Duration> phaseDurations,
    Duration total,
    @Nullable Duration outage) {

  /** Checks and copies the components. */
  public CprRestoreResult {
    Objects.requireNonNull(stateFile, "stateFile");
    Objects.requireNonNull(runState, "runState");
    Objects.requireNonNull(total, "total");
    if (markedRestored && manifestFile == null) {
      throw new IllegalArgumentException("markedRestored without a manifestFile");
    }
    EnumMap<CprPhase, Duration> ordered = new EnumMap<>(CprPhase.class);
    ordered.putAll(phaseDurations);
    phaseDurations = Collections.unmodifiableMap(ordered);
  }

  /** The time spent in {@code phase}, zero when it did not run. */
  public Duration duration(CprPhase phase) {
    return phaseDurations.getOrDefault(phase, Duration.ZERO);
  }
}

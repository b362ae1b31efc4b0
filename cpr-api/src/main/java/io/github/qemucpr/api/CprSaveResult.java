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
 * What a successful save did.
 *
 * @param stateFile the state file, renamed into place
 * @param manifestFile the manifest beside it ({@code <name>.json})
 * @param bytesWritten the state file's size
 * @param sha256 the state file's SHA-256, in lower-case hex
 * @param blackout the time the VM did not run before the state was safe: from the guest's suspend
 *     (when the save suspended it) or QEMU's {@code STOP} event, to the rename of the fsync'ed
 *     state file and its manifest. The VM stays down after that until it is restored. Zero for a VM
 *     that was paused before the save.
 * @param qemuDowntime the {@code downtime} QEMU itself reported in {@code query-migrate}, or {@code
 *     null} when it reported none
 * @param phaseDurations the time spent in each phase that ran, in phase order
 * @param total the time from the start of {@code run()} to its end
 * @param memorySavedInPlace whether all guest RAM stayed in its shared files ({@code
 *     x-ignore-shared}); otherwise RAM was copied into the state file
 * @param suspendedByUs whether the save suspended the guest
 * @param runStateBefore the run state before the save
 * @param quit whether QEMU quit after the save
 * @param preflight the preflight's report, whose warnings the save went ahead with
 */
public record CprSaveResult(
    Path stateFile,
    Path manifestFile,
    long bytesWritten,
    String sha256,
    Duration blackout,
    @Nullable Duration qemuDowntime,
    Map<CprPhase, Duration> phaseDurations,
    Duration total,
    boolean memorySavedInPlace,
    boolean suspendedByUs,
    RunState runStateBefore,
    boolean quit,
    PreflightReport preflight) {

  /** Checks and copies the components. */
  public CprSaveResult {
    Objects.requireNonNull(stateFile, "stateFile");
    Objects.requireNonNull(manifestFile, "manifestFile");
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(blackout, "blackout");
    Objects.requireNonNull(total, "total");
    Objects.requireNonNull(runStateBefore, "runStateBefore");
    Objects.requireNonNull(preflight, "preflight");
    EnumMap<CprPhase, Duration> ordered = new EnumMap<>(CprPhase.class);
    ordered.putAll(phaseDurations);
    phaseDurations = Collections.unmodifiableMap(ordered);
  }

  /** The time spent in {@code phase}, zero when it did not run. */
  public Duration duration(CprPhase phase) {
    return phaseDurations.getOrDefault(phase, Duration.ZERO);
  }
}

package io.github.qemucpr.api;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.RunState;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a successful cpr-transfer did. The {@link #target()} client belongs to the caller, who
 * closes it.
 *
 * @param target the connection to the new QEMU, which now runs the VM; owned by the caller
 * @param targetState the new QEMU's run state at the end: {@code running}, or {@code paused} or
 *     {@code suspended} for a VM that was so before
 * @param sourceState the source's run state at the end: {@code postmigrate} (the last state seen,
 *     also when {@link #sourceQuit()})
 * @param blackout the time the VM did not run: from the source's {@code STOP} event to the new
 *     QEMU's {@code RESUME} event (QEMU's own timestamps, on the same host clock). Zero for a VM
 *     that did not run before. See {@link #blackoutExact()}.
 * @param blackoutExact whether {@link #blackout()} ends at the new QEMU's {@code RESUME} event. A
 *     new QEMU started with its main channel on the command line often resumes the VM before its
 *     monitor answers, so its {@code RESUME} is not seen: the blackout then ends when {@code
 *     query-status} first read {@code running}, an upper bound. With {@code -incoming defer} the
 *     event is always seen.
 * @param qemuDowntime the {@code downtime} the source reported in {@code query-migrate}, or {@code
 *     null} when it reported none
 * @param incomingDeferred whether the new QEMU was started with {@code -incoming defer}, so that
 *     the transfer sent it {@code migrate-incoming}
 * @param sourceQuit whether the transfer quit the source ({@link
 *     CprTransferBuilder#quitSourceAfterTransfer(boolean)})
 * @param phaseDurations the time spent in each phase that ran, in phase order
 * @param total the time from the start of {@code run()} to its end
 * @param preflight the preflight's report, whose warnings the transfer went ahead with
 */
public record CprTransferResult(
    QmpClient target,
    RunState targetState,
    RunState sourceState,
    Duration blackout,
    boolean blackoutExact,
    @Nullable Duration qemuDowntime,
    boolean incomingDeferred,
    boolean sourceQuit,
    Map<CprPhase, Duration> phaseDurations,
    Duration total,
    PreflightReport preflight) {

  /** Checks and copies the components. */
  public CprTransferResult {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(targetState, "targetState");
    Objects.requireNonNull(sourceState, "sourceState");
    Objects.requireNonNull(blackout, "blackout");
    Objects.requireNonNull(total, "total");
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

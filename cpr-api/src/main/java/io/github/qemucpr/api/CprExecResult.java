package io.github.qemucpr.api;

import io.github.qemucpr.qmp.QemuVersion;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.RunState;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a successful cpr-exec did. The {@link #client()} belongs to the caller, who closes it; the
 * client given to {@link CprExec#of} is closed, since QEMU closed its monitor when it executed the
 * new binary.
 *
 * @param client the connection to the new QEMU's monitor, on the same socket; owned by the caller
 * @param runState the run state at the end: {@code running}, or {@code paused} or {@code suspended}
 *     for a VM that was so before
 * @param processId the QEMU process id, the same before and after (checked)
 * @param versionBefore the QEMU version before the exec
 * @param versionAfter the QEMU version of the new binary
 * @param blackout the time the VM did not run: from QEMU's {@code STOP} event before the exec to
 *     its {@code RESUME} after (QEMU's own timestamps); for a guest the exec suspended, from its
 *     {@code SUSPEND} to its {@code WAKEUP}; zero for a VM that did not run before, or a guest left
 *     suspended. See {@link #blackoutExact()}.
 * @param blackoutExact whether {@link #blackout()} ends at the {@code RESUME} event. The new QEMU
 *     may resume the VM before its monitor has a client, and such an event is lost: the blackout
 *     then ends when {@code query-status} first read {@code running}, an upper bound.
 * @param monitorGap at least how long there was no monitor connection: from when the old connection
 *     was seen closed to when the new one was ready (events QEMU sent in between, such as an early
 *     {@code RESUME}, are lost)
 * @param phaseDurations the time spent in each phase that ran, in phase order
 * @param total the time from the start of {@code run()} to its end
 * @param preflight the preflight's report, whose warnings the exec went ahead with
 */
public record CprExecResult(
    QmpClient client,
    RunState runState,
    long processId,
    QemuVersion versionBefore,
    QemuVersion versionAfter,
    Duration blackout,
    boolean blackoutExact,
    Duration monitorGap,
    Map<CprPhase, Duration> phaseDurations,
    Duration total,
    PreflightReport preflight) {

  /** Checks and copies the components. */
  public CprExecResult {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(runState, "runState");
    Objects.requireNonNull(versionBefore, "versionBefore");
    Objects.requireNonNull(versionAfter, "versionAfter");
    Objects.requireNonNull(blackout, "blackout");
    Objects.requireNonNull(monitorGap, "monitorGap");
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

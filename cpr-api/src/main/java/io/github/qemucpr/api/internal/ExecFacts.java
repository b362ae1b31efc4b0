package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.PreflightReport;
import io.github.qemucpr.qmp.QemuVersion;
import io.github.qemucpr.qmp.command.MigrationCapability;
import io.github.qemucpr.qmp.command.MigrationMode;
import io.github.qemucpr.qmp.command.RunState;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What the cpr-exec preflight learned, which the exec goes on to use.
 *
 * @param report the report
 * @param version QEMU's version
 * @param runState the run state, or {@code null} if it could not be read (an error then)
 * @param modeBefore the migration mode before, or {@code null} if unknown
 * @param capabilities every capability and its state before
 * @param processId QEMU's process id, or {@code null} if unknown (an error then)
 */
record ExecFacts(
    PreflightReport report,
    QemuVersion version,
    @Nullable RunState runState,
    @Nullable MigrationMode modeBefore,
    Map<MigrationCapability, Boolean> capabilities,
    @Nullable Long processId) {}

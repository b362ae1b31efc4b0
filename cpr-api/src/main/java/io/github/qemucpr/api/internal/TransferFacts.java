package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.PreflightReport;
import io.github.qemucpr.qmp.QemuVersion;
import io.github.qemucpr.qmp.command.MigrationCapability;
import io.github.qemucpr.qmp.command.MigrationMode;
import io.github.qemucpr.qmp.command.RunState;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What the transfer preflight learned, which the transfer goes on to use.
 *
 * @param report the report
 * @param version the source QEMU's version
 * @param runState the run state, or {@code null} if it could not be read (an error then)
 * @param modeBefore the migration mode before, or {@code null} if unknown
 * @param capabilities every capability and its state before
 */
record TransferFacts(
    PreflightReport report,
    QemuVersion version,
    @Nullable RunState runState,
    @Nullable MigrationMode modeBefore,
    Map<MigrationCapability, Boolean> capabilities) {}

package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.PreflightReport;
import io.github.qemucpr.qmp.QemuVersion;
import io.github.qemucpr.qmp.command.MigrationCapability;
import io.github.qemucpr.qmp.command.MigrationMode;
import io.github.qemucpr.qmp.command.RunState;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What the preflight learned, which the save goes on to use.
 *
 * @param report the report
 * @param version QEMU's version
 * @param packageName QEMU's package string
 * @param runState the run state, or {@code null} if it could not be read (an error then)
 * @param modeBefore the migration mode before, or {@code null} if unknown
 * @param capabilities every capability and its state before
 * @param backends the guest RAM backends
 * @param ignoreShared whether to turn on {@code x-ignore-shared}
 * @param suspendGuest whether to suspend the guest first
 */
record SaveFacts(
    PreflightReport report,
    QemuVersion version,
    String packageName,
    @Nullable RunState runState,
    @Nullable MigrationMode modeBefore,
    Map<MigrationCapability, Boolean> capabilities,
    List<MemoryInspector.Backend> backends,
    boolean ignoreShared,
    boolean suspendGuest) {}

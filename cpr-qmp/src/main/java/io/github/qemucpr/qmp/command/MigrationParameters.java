package io.github.qemucpr.qmp.command;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The reply to {@link QueryMigrateParameters}: a subset of QEMU's migration parameters. Each is
 * null when this QEMU does not report it.
 *
 * @param mode the migration mode, such as {@link MigrationMode#CPR_REBOOT}
 * @param multifdChannels the number of multifd channels
 * @param maxBandwidth the bandwidth limit in bytes per second
 * @param availSwitchoverBandwidth the bandwidth assumed for the switchover, in bytes per second; 0
 *     means measured
 * @param downtimeLimit the allowed downtime in milliseconds
 * @param multifdCompression the multifd compression method, such as {@code none}
 * @param zeroPageDetection how zero pages are detected, such as {@code multifd}
 * @param directIo whether a file migration uses O_DIRECT
 * @param xbzrleCacheSize the XBZRLE cache size in bytes
 * @param cprExecCommand the command line a {@code cpr-exec} migration execs (QEMU 10.2+)
 */
public record MigrationParameters(
    @Nullable MigrationMode mode,
    @Nullable Integer multifdChannels,
    @Nullable Long maxBandwidth,
    @Nullable Long availSwitchoverBandwidth,
    @Nullable Long downtimeLimit,
    @Nullable String multifdCompression,
    @Nullable String zeroPageDetection,
    @Nullable Boolean directIo,
    @Nullable Long xbzrleCacheSize,
    @Nullable List<String> cprExecCommand) {
  /** Copies the list. */
  public MigrationParameters {
    cprExecCommand = cprExecCommand == null ? null : List.copyOf(cprExecCommand);
  }
}

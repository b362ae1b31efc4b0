package io.github.qemucpr.qmp.command;

/**
 * RAM transfer statistics of a migration, a subset of {@code query-migrate}'s {@code ram} member.
 *
 * @param transferred bytes transferred so far
 * @param remaining bytes left to transfer
 * @param total the total bytes of guest RAM
 * @param duplicate pages that were all zero
 * @param normal pages sent in full
 * @param normalBytes bytes of the pages sent in full
 * @param dirtySyncCount how many times the dirty bitmap was synchronized
 * @param pageSize the target page size in bytes
 * @param mbps the throughput in megabits per second
 */
public record MigrationRamStats(
    long transferred,
    long remaining,
    long total,
    long duplicate,
    long normal,
    long normalBytes,
    long dirtySyncCount,
    long pageSize,
    double mbps) {}

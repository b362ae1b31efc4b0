package io.github.qemucpr.qga.command;

/**
 * The reply to {@link GuestExec}: the process runs.
 *
 * @param pid its process id in the guest, for {@link GuestExecStatus}
 */
public record ExecStarted(long pid) {}

package io.github.qemucpr.qmp.command;

/**
 * The reply to {@link QueryCurrentMachine}.
 *
 * @param wakeupSuspendSupport whether {@code system_wakeup} can wake a guest suspended to RAM
 */
public record CurrentMachine(boolean wakeupSuspendSupport) {}

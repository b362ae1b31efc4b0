package io.github.qemucpr.qga.internal;

import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.GuestAgentInterruptedException;
import io.github.qemucpr.qga.GuestAgentTimeoutException;
import io.github.qemucpr.qga.command.ExecResult;
import io.github.qemucpr.qga.command.ExecStarted;
import io.github.qemucpr.qga.command.ExecStatus;
import io.github.qemucpr.qga.command.GuestExec;
import io.github.qemucpr.qga.command.GuestExecStatus;
import io.github.qemucpr.qmp.internal.wire.Checks;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs a program in the guest to its end: {@code guest-exec}, then {@code guest-exec-status} at a
 * growing interval (10 ms, doubling to 200 ms) until it exits or the time is up. It needs nothing
 * but a client's public commands.
 */
final class ExecPolling {

  private static final Duration MIN_POLL = Duration.ofMillis(10);
  private static final Duration MAX_POLL = Duration.ofMillis(200);
  private static final Duration MIN_STATUS_TIMEOUT = Duration.ofMillis(500);

  private ExecPolling() {}

  /**
   * Runs {@code command} through {@code agent} and waits up to {@code timeout} for it to exit; each
   * status query takes at most {@code commandTimeout}.
   */
  static ExecResult run(
      GuestAgentClient agent, GuestExec command, Duration timeout, Duration commandTimeout) {
    Objects.requireNonNull(command, "command");
    timeout = Checks.checkTimeout(timeout);
    long deadline = System.nanoTime() + timeout.toNanos();
    ExecStarted started = agent.execute(command, timeout);
    long pollNanos = MIN_POLL.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      Duration statusTimeout =
          Duration.ofNanos(
              Math.min(commandTimeout.toNanos(), Math.max(left, MIN_STATUS_TIMEOUT.toNanos())));
      ExecStatus status = agent.execute(new GuestExecStatus(started.pid()), statusTimeout);
      if (status.exited()) {
        return ExecResult.of(started.pid(), status);
      }
      left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new GuestAgentTimeoutException(
            "process "
                + started.pid()
                + " ("
                + command.path()
                + ") did not exit within "
                + Checks.format(timeout)
                + "; it may still run in the guest",
            timeout);
      }
      try {
        TimeUnit.NANOSECONDS.sleep(Math.min(pollNanos, left));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new GuestAgentInterruptedException(
            "interrupted while waiting for process " + started.pid() + " in the guest to exit", e);
      }
      pollNanos = Math.min(pollNanos * 2, MAX_POLL.toNanos());
    }
  }
}

package io.github.qemucpr.qga.command;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How a program run by {@link io.github.qemucpr.qga.GuestAgentClient#run(GuestExec,
 * java.time.Duration)} ended, with its decoded output.
 *
 * @param pid its pid in the guest
 * @param exitCode its exit status, or {@code -1} when a signal killed it
 * @param signal the signal that killed it, or {@code null} when it exited
 * @param stdout its standard output as UTF-8 text (empty when not captured)
 * @param stderr its standard error as UTF-8 text (empty when not captured)
 * @param truncated whether the agent dropped output past its limit (16 MiB per stream)
 */
public record ExecResult(
    long pid,
    int exitCode,
    @Nullable Integer signal,
    String stdout,
    String stderr,
    boolean truncated) {

  /** Checks the arguments. */
  public ExecResult {
    Objects.requireNonNull(stdout, "stdout");
    Objects.requireNonNull(stderr, "stderr");
  }

  /** Builds the result from the final {@link ExecStatus} of process {@code pid}. */
  public static ExecResult of(long pid, ExecStatus status) {
    if (!status.exited()) {
      throw new IllegalArgumentException("process " + pid + " has not exited yet");
    }
    Integer code = status.exitCode();
    return new ExecResult(
        pid,
        status.signal() != null || code == null ? -1 : code,
        status.signal(),
        status.stdoutText(),
        status.stderrText(),
        status.outTruncated() || status.errTruncated());
  }

  /** Whether the program exited with status 0. */
  public boolean succeeded() {
    return signal == null && exitCode == 0;
  }
}

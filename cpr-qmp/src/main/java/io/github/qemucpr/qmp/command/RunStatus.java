package io.github.qemucpr.qmp.command;

import java.util.Objects;

/**
 * The reply to {@link QueryStatus}.
 *
 * @param running whether the guest's CPUs run
 * @param status the run state, such as {@link RunState#RUNNING} or {@link RunState#POSTMIGRATE}
 */
public record RunStatus(boolean running, RunState status) {
  /** Checks the components. */
  public RunStatus {
    Objects.requireNonNull(status, "status");
  }
}

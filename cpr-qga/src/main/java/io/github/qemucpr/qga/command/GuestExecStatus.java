package io.github.qemucpr.qga.command;

import io.github.qemucpr.qga.GuestAgentCommand;
import java.lang.reflect.Type;
import java.util.Map;

/**
 * {@code guest-exec-status}: whether a process started by {@link GuestExec} has ended, with its
 * exit status and captured output. Once it reports an ended process, the agent forgets it: ask
 * again and the pid is unknown.
 *
 * @param pid the pid from {@link ExecStarted}
 */
public record GuestExecStatus(long pid) implements GuestAgentCommand<ExecStatus> {
  /** The wire name, {@code guest-exec-status}. */
  public static final String NAME = "guest-exec-status";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, ?> arguments() {
    return Map.of("pid", pid);
  }

  @Override
  public Type replyType() {
    return ExecStatus.class;
  }
}

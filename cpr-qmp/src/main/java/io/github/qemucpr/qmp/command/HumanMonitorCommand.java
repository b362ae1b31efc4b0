package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.Objects;

/**
 * {@code human-monitor-command}: runs an HMP command, such as {@code info status}, and returns its
 * text output (lines end with {@code \r\n}; empty for commands that print nothing). HMP output is
 * meant for people and changes between versions: do not parse it where a QMP command exists.
 *
 * @param commandLine the HMP command line
 */
public record HumanMonitorCommand(String commandLine) implements QmpCommand<String> {
  /** Checks the command line. */
  public HumanMonitorCommand {
    Objects.requireNonNull(commandLine, "commandLine");
    if (commandLine.isBlank()) {
      throw new IllegalArgumentException("commandLine must not be blank");
    }
  }

  @Override
  public String name() {
    return "human-monitor-command";
  }

  @Override
  public Map<String, ?> arguments() {
    return Args.builder().put("command-line", commandLine).build();
  }

  @Override
  public Type replyType() {
    return String.class;
  }
}

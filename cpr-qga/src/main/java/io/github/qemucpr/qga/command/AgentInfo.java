package io.github.qemucpr.qga.command;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The reply to {@link GuestInfo}: the agent's version and its commands.
 *
 * @param version the agent's version, such as {@code 7.2.22}
 * @param supportedCommands every command the agent knows (its {@code supported_commands}), enabled
 *     or not
 */
public record AgentInfo(String version, List<AgentCommandInfo> supportedCommands) {
  /** Checks and copies the arguments. */
  public AgentInfo {
    Objects.requireNonNull(version, "version");
    supportedCommands = List.copyOf(supportedCommands);
  }

  /** The entry for {@code command}, if the agent knows it. */
  public Optional<AgentCommandInfo> command(String command) {
    Objects.requireNonNull(command, "command");
    return supportedCommands.stream().filter(c -> c.name().equals(command)).findFirst();
  }

  /** Whether the agent knows {@code command} and has it enabled. */
  public boolean isEnabled(String command) {
    return command(command).map(AgentCommandInfo::enabled).orElse(false);
  }
}

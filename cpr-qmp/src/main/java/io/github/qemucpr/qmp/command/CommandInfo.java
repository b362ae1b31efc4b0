package io.github.qemucpr.qmp.command;

import java.util.Objects;

/**
 * A command QEMU offers, from {@link QueryCommands}.
 *
 * @param name the command's name, such as {@code migrate}
 */
public record CommandInfo(String name) {
  /** Checks the name. */
  public CommandInfo {
    Objects.requireNonNull(name, "name");
  }
}

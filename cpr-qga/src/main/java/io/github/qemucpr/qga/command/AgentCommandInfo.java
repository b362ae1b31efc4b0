package io.github.qemucpr.qga.command;

import java.util.Objects;

/**
 * One command the agent knows, from {@link GuestInfo}.
 *
 * @param name the command, such as {@code guest-suspend-ram}
 * @param enabled whether it may be run now: the guest administrator can disable commands ({@code
 *     qemu-ga --block-rpcs}), and the agent disables most while the file systems are frozen
 * @param successResponse whether it answers on success; {@code false} for the suspend commands and
 *     {@code guest-shutdown}
 */
public record AgentCommandInfo(String name, boolean enabled, boolean successResponse) {
  /** Checks the name. */
  public AgentCommandInfo {
    Objects.requireNonNull(name, "name");
  }
}

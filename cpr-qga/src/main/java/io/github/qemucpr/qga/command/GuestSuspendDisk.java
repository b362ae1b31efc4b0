package io.github.qemucpr.qga.command;

import io.github.qemucpr.qga.GuestAgentCommand;
import java.lang.reflect.Type;

/**
 * {@code guest-suspend-disk}: suspends the guest to disk (hibernation); the VM then powers off.
 * Hibernation can take long to fail (for example without swap), so an error may come after the
 * client has already returned.
 *
 * <p>The agent sends no reply when this succeeds; {@link io.github.qemucpr.qga.GuestAgentClient}
 * returns once it is accepted (see {@link io.github.qemucpr.qga.GuestAgentClient#suspendRam()}).
 * Observe the outcome on the host through QMP.
 */
public record GuestSuspendDisk() implements GuestAgentCommand<Void> {
  /** The wire name, {@code guest-suspend-disk}. */
  public static final String NAME = "guest-suspend-disk";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Type replyType() {
    return Void.class;
  }

  /** {@code false}: the agent answers only with an error. */
  @Override
  public boolean sendsReply() {
    return false;
  }
}

package io.github.qemucpr.qga.command;

import io.github.qemucpr.qga.GuestAgentCommand;
import java.lang.reflect.Type;

/**
 * {@code guest-suspend-hybrid}: saves the guest to disk and suspends it to RAM. QEMU then emits
 * {@code SUSPEND}, as for {@link GuestSuspendRam}.
 *
 * <p>The agent sends no reply when this succeeds; {@link io.github.qemucpr.qga.GuestAgentClient}
 * returns once it is accepted (see {@link io.github.qemucpr.qga.GuestAgentClient#suspendRam()}).
 * Observe the outcome on the host through QMP.
 */
public record GuestSuspendHybrid() implements GuestAgentCommand<Void> {
  /** The wire name, {@code guest-suspend-hybrid}. */
  public static final String NAME = "guest-suspend-hybrid";

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

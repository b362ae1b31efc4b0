package io.github.qemucpr.qga.command;

import io.github.qemucpr.qga.GuestAgentCommand;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.Objects;

/**
 * {@code guest-shutdown}: asks the guest OS to shut down, halt or reboot. There is no guarantee
 * that it does: watch for QMP {@code SHUTDOWN} or for QEMU to exit.
 *
 * <p>The agent sends no reply when this succeeds; {@link io.github.qemucpr.qga.GuestAgentClient}
 * returns once it is accepted (see {@link io.github.qemucpr.qga.GuestAgentClient#suspendRam()}).
 *
 * @param mode how to end the guest
 */
public record GuestShutdown(ShutdownMode mode) implements GuestAgentCommand<Void> {
  /** The wire name, {@code guest-shutdown}. */
  public static final String NAME = "guest-shutdown";

  /** Checks the mode. */
  public GuestShutdown {
    Objects.requireNonNull(mode, "mode");
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, ?> arguments() {
    return Map.of("mode", mode.wireName());
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

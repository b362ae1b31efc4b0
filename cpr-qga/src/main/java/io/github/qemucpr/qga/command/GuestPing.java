package io.github.qemucpr.qga.command;

import io.github.qemucpr.qga.GuestAgentCommand;
import java.lang.reflect.Type;

/** {@code guest-ping}: checks that the agent answers; the reply is empty. */
public record GuestPing() implements GuestAgentCommand<Void> {
  /** The wire name, {@code guest-ping}. */
  public static final String NAME = "guest-ping";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Type replyType() {
    return Void.class;
  }
}

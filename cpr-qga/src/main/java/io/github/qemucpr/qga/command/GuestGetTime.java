package io.github.qemucpr.qga.command;

import io.github.qemucpr.qga.GuestAgentCommand;
import java.lang.reflect.Type;

/** {@code guest-get-time}: the guest's system time in nanoseconds since the epoch (UTC). */
public record GuestGetTime() implements GuestAgentCommand<Long> {
  /** The wire name, {@code guest-get-time}. */
  public static final String NAME = "guest-get-time";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Type replyType() {
    return Long.class;
  }
}

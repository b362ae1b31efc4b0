package io.github.qemucpr.qga.command;

import io.github.qemucpr.qga.GuestAgentCommand;
import java.lang.reflect.Type;

/** {@code guest-fsfreeze-status}: whether the guest's file systems are frozen. */
public record GuestFsfreezeStatus() implements GuestAgentCommand<FreezeState> {
  /** The wire name, {@code guest-fsfreeze-status}. */
  public static final String NAME = "guest-fsfreeze-status";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Type replyType() {
    return FreezeState.class;
  }
}

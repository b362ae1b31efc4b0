package io.github.qemucpr.qga.command;

import io.github.qemucpr.qga.GuestAgentCommand;
import java.lang.reflect.Type;

/** {@code guest-fsfreeze-thaw}: thaws the frozen file systems; the reply is the number thawed. */
public record GuestFsfreezeThaw() implements GuestAgentCommand<Integer> {
  /** The wire name, {@code guest-fsfreeze-thaw}. */
  public static final String NAME = "guest-fsfreeze-thaw";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Type replyType() {
    return Integer.class;
  }
}

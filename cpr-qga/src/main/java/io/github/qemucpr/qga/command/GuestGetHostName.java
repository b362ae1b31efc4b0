package io.github.qemucpr.qga.command;

import io.github.qemucpr.qga.GuestAgentCommand;
import java.lang.reflect.Type;

/** {@code guest-get-host-name}: the guest's host name. */
public record GuestGetHostName() implements GuestAgentCommand<HostName> {
  /** The wire name, {@code guest-get-host-name}. */
  public static final String NAME = "guest-get-host-name";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Type replyType() {
    return HostName.class;
  }
}

package io.github.qemucpr.qga.command;

import io.github.qemucpr.qga.GuestAgentCommand;
import java.lang.reflect.Type;

/**
 * {@code guest-get-osinfo}: the guest's kernel and distribution, from {@code uname} and {@code
 * os-release}.
 */
public record GuestGetOsInfo() implements GuestAgentCommand<OsInfo> {
  /** The wire name, {@code guest-get-osinfo}. */
  public static final String NAME = "guest-get-osinfo";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Type replyType() {
    return OsInfo.class;
  }
}

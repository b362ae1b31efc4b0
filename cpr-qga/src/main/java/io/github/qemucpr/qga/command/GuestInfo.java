package io.github.qemucpr.qga.command;

import io.github.qemucpr.qga.GuestAgentCommand;
import java.lang.reflect.Type;

/** {@code guest-info}: the agent's version, and which commands it supports and has enabled. */
public record GuestInfo() implements GuestAgentCommand<AgentInfo> {
  /** The wire name, {@code guest-info}. */
  public static final String NAME = "guest-info";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Type replyType() {
    return AgentInfo.class;
  }
}

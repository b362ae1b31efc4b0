package io.github.qemucpr.qga.command;

import io.github.qemucpr.qga.GuestAgentCommand;
import java.lang.reflect.Type;

/**
 * {@code guest-fsfreeze-freeze}: syncs and freezes every freezable local file system; the reply is
 * the number frozen (0 when there is none, for example on a guest that runs from an initramfs).
 * While frozen, the agent disables most other commands; call {@link GuestFsfreezeThaw} soon.
 */
public record GuestFsfreezeFreeze() implements GuestAgentCommand<Integer> {
  /** The wire name, {@code guest-fsfreeze-freeze}. */
  public static final String NAME = "guest-fsfreeze-freeze";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Type replyType() {
    return Integer.class;
  }
}

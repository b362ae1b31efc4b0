package io.github.qemucpr.qga.command;

import io.github.qemucpr.qga.GuestAgentCommand;
import java.lang.reflect.Type;

/**
 * {@code guest-suspend-ram}: suspends the guest to RAM (ACPI S3). QEMU then emits {@code SUSPEND}
 * and its runstate becomes {@code suspended}; QMP {@code system_wakeup} resumes it. Needs S3
 * enabled in QEMU (on q35: {@code -global ICH9-LPC.disable_s3=0}).
 *
 * <p>The agent sends no reply when this succeeds; {@link io.github.qemucpr.qga.GuestAgentClient}
 * returns once it is accepted (see {@link io.github.qemucpr.qga.GuestAgentClient#suspendRam()}).
 * Observe the outcome on the host through QMP.
 */
public record GuestSuspendRam() implements GuestAgentCommand<Void> {
  /** The wire name, {@code guest-suspend-ram}. */
  public static final String NAME = "guest-suspend-ram";

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

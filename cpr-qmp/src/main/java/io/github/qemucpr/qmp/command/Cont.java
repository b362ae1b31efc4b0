package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;

/**
 * {@code cont}: resumes a paused VM; QEMU emits {@code RESUME}. Also what a VM left {@code paused}
 * after a failed migration needs.
 */
public record Cont() implements QmpCommand<Void> {
  @Override
  public String name() {
    return "cont";
  }

  @Override
  public Type replyType() {
    return Void.class;
  }
}

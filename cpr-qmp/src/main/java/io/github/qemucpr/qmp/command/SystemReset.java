package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;

/** {@code system_reset}: resets the machine, as the reset button does; QEMU emits {@code RESET}. */
public record SystemReset() implements QmpCommand<Void> {
  @Override
  public String name() {
    return "system_reset";
  }

  @Override
  public Type replyType() {
    return Void.class;
  }
}

package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;

/**
 * {@code system_wakeup}: wakes a guest suspended to RAM (run state {@code suspended}); QEMU emits
 * {@code WAKEUP}. QEMU 10 refuses it with a {@code GenericError} when the guest is not suspended,
 * or when the machine cannot wake up (see {@link CurrentMachine#wakeupSuspendSupport()}).
 */
public record SystemWakeup() implements QmpCommand<Void> {
  @Override
  public String name() {
    return "system_wakeup";
  }

  @Override
  public Type replyType() {
    return Void.class;
  }
}

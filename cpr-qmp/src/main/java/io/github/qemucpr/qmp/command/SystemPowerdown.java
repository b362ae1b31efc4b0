package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;

/**
 * {@code system_powerdown}: presses the ACPI power button; QEMU emits {@code POWERDOWN}. The guest
 * decides whether to shut down.
 */
public record SystemPowerdown() implements QmpCommand<Void> {
  @Override
  public String name() {
    return "system_powerdown";
  }

  @Override
  public Type replyType() {
    return Void.class;
  }
}

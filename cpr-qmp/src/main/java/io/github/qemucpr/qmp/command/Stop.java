package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;

/** {@code stop}: pauses the VM (run state {@code paused}); QEMU emits {@code STOP}. */
public record Stop() implements QmpCommand<Void> {
  @Override
  public String name() {
    return "stop";
  }

  @Override
  public Type replyType() {
    return Void.class;
  }
}

package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;

/**
 * {@code quit}: makes QEMU exit at once. QEMU replies, emits {@code SHUTDOWN} (reason {@code
 * host-qmp-quit}) and exits; the connection then closes. A VM that is not saved loses its state.
 */
public record Quit() implements QmpCommand<Void> {
  @Override
  public String name() {
    return "quit";
  }

  @Override
  public Type replyType() {
    return Void.class;
  }
}

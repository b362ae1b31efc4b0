package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;
import java.util.List;

/** {@code query-memdev}: the memory backends ({@code -object memory-backend-*}). */
public record QueryMemdev() implements QmpCommand<List<MemoryBackend>> {
  @Override
  public String name() {
    return "query-memdev";
  }

  @Override
  public Type replyType() {
    return ReplyTypes.listOf(MemoryBackend.class);
  }
}

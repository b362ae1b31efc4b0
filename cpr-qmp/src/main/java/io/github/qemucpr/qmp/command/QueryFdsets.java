package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;
import java.util.List;

/** {@code query-fdsets}: the fd sets and their descriptors, from {@link AddFd}. */
public record QueryFdsets() implements QmpCommand<List<FdsetInfo>> {
  @Override
  public String name() {
    return "query-fdsets";
  }

  @Override
  public Type replyType() {
    return ReplyTypes.listOf(FdsetInfo.class);
  }
}

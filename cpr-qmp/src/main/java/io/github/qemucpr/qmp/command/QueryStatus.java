package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;

/** {@code query-status}: whether the VM runs, and its run state. */
public record QueryStatus() implements QmpCommand<RunStatus> {
  @Override
  public String name() {
    return "query-status";
  }

  @Override
  public Type replyType() {
    return RunStatus.class;
  }
}

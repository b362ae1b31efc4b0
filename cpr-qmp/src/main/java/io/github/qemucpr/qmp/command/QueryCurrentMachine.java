package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;

/** {@code query-current-machine}: properties of the running machine. */
public record QueryCurrentMachine() implements QmpCommand<CurrentMachine> {
  @Override
  public String name() {
    return "query-current-machine";
  }

  @Override
  public Type replyType() {
    return CurrentMachine.class;
  }
}

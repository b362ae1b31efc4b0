package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;
import java.util.List;

/**
 * {@code query-commands}: the commands this QEMU offers. {@link QueryQmpSchema} tells more,
 * including their arguments.
 */
public record QueryCommands() implements QmpCommand<List<CommandInfo>> {
  @Override
  public String name() {
    return "query-commands";
  }

  @Override
  public Type replyType() {
    return ReplyTypes.listOf(CommandInfo.class);
  }
}

package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;
import java.util.List;

/** {@code query-migrate-capabilities}: every migration capability this QEMU has, and its state. */
public record QueryMigrateCapabilities() implements QmpCommand<List<MigrationCapabilityStatus>> {
  @Override
  public String name() {
    return "query-migrate-capabilities";
  }

  @Override
  public Type replyType() {
    return ReplyTypes.listOf(MigrationCapabilityStatus.class);
  }
}

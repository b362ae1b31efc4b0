package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;

/**
 * {@code query-qmp-schema}: the QAPI schema of this QEMU, to ask which commands, arguments and enum
 * values it accepts before relying on them. The reply is large (about 1 MB); ask once per
 * connection.
 */
public record QueryQmpSchema() implements QmpCommand<QmpSchema> {
  @Override
  public String name() {
    return "query-qmp-schema";
  }

  @Override
  public Type replyType() {
    return QmpSchema.class;
  }
}

package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;

/**
 * {@code query-migrate}: the status of the current or last migration, its error, and what blocks a
 * migration in the mode that is set.
 */
public record QueryMigrate() implements QmpCommand<MigrationInfo> {
  @Override
  public String name() {
    return "query-migrate";
  }

  @Override
  public Type replyType() {
    return MigrationInfo.class;
  }
}

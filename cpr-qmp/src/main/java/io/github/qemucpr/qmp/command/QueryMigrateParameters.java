package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;

/** {@code query-migrate-parameters}: the migration parameters, including the mode. */
public record QueryMigrateParameters() implements QmpCommand<MigrationParameters> {
  @Override
  public String name() {
    return "query-migrate-parameters";
  }

  @Override
  public Type replyType() {
    return MigrationParameters.class;
  }
}

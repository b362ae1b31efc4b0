package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;

/**
 * {@code migrate_cancel}: cancels the outgoing migration. A VM that was running before it resumes;
 * the {@code MIGRATION} event reports {@code cancelling}, then {@code cancelled}. Harmless when no
 * migration runs.
 */
public record MigrateCancel() implements QmpCommand<Void> {
  @Override
  public String name() {
    return "migrate_cancel";
  }

  @Override
  public Type replyType() {
    return Void.class;
  }
}

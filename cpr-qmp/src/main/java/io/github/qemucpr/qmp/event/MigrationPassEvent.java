package io.github.qemucpr.qmp.event;

import java.time.Instant;

/**
 * {@code MIGRATION_PASS}: a RAM pass of a migration started.
 *
 * @param timestamp when QEMU emitted it
 * @param pass the pass number, from 1
 */
public record MigrationPassEvent(Instant timestamp, long pass) implements QmpEvent {
  /** The wire name, {@code MIGRATION_PASS}. */
  public static final String NAME = "MIGRATION_PASS";

  @Override
  public String name() {
    return NAME;
  }
}

package io.github.qemucpr.qmp.event;

import io.github.qemucpr.qmp.command.MigrationStatus;
import java.time.Instant;

/**
 * {@code MIGRATION}: the migration changed status. Sent only while the {@code events} migration
 * capability is on.
 *
 * @param timestamp when QEMU emitted it
 * @param status the new status
 */
public record MigrationEvent(Instant timestamp, MigrationStatus status) implements QmpEvent {
  /** The wire name, {@code MIGRATION}. */
  public static final String NAME = "MIGRATION";

  @Override
  public String name() {
    return NAME;
  }
}

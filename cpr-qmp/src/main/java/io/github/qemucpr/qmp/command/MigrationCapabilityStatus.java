package io.github.qemucpr.qmp.command;

import java.util.Objects;

/**
 * A migration capability and whether it is on: an element of {@link QueryMigrateCapabilities}'s
 * reply and of {@link MigrateSetCapabilities}' argument.
 *
 * @param capability the capability
 * @param state whether it is on
 */
public record MigrationCapabilityStatus(MigrationCapability capability, boolean state) {
  /** Checks the capability. */
  public MigrationCapabilityStatus {
    Objects.requireNonNull(capability, "capability");
  }
}

package io.github.qemucpr.qmp.command;

import java.util.Objects;

/**
 * The status of a migration, as in {@code query-migrate} and the {@code MIGRATION} event. An open
 * set: a status this SDK does not know is kept as it came.
 *
 * @param wireName the status as QEMU spells it, such as {@code completed}
 */
public record MigrationStatus(String wireName) {
  /** No migration has run yet. */
  public static final MigrationStatus NONE = new MigrationStatus("none");

  /** The migration is being set up. */
  public static final MigrationStatus SETUP = new MigrationStatus("setup");

  /** The migration was cancelled. */
  public static final MigrationStatus CANCELLED = new MigrationStatus("cancelled");

  /** A cancel was requested and is in progress. */
  public static final MigrationStatus CANCELLING = new MigrationStatus("cancelling");

  /** RAM is being transferred. */
  public static final MigrationStatus ACTIVE = new MigrationStatus("active");

  /** The device state is being transferred (the VM is stopped). */
  public static final MigrationStatus DEVICE = new MigrationStatus("device");

  /** Postcopy is running. */
  public static final MigrationStatus POSTCOPY_ACTIVE = new MigrationStatus("postcopy-active");

  /** The migration finished successfully. */
  public static final MigrationStatus COMPLETED = new MigrationStatus("completed");

  /** The migration failed; {@code query-migrate} has {@code error-desc}. */
  public static final MigrationStatus FAILED = new MigrationStatus("failed");

  /** COLO is running. */
  public static final MigrationStatus COLO = new MigrationStatus("colo");

  /** The migration waits before switching over (pause-before-switchover). */
  public static final MigrationStatus PRE_SWITCHOVER = new MigrationStatus("pre-switchover");

  /** Waiting for the destination to be ready (return path). */
  public static final MigrationStatus WAIT_UNPLUG = new MigrationStatus("wait-unplug");

  /** Checks the name. */
  public MigrationStatus {
    Objects.requireNonNull(wireName, "wireName");
  }

  /** The status with this name, known or not. */
  public static MigrationStatus of(String wireName) {
    return new MigrationStatus(wireName);
  }

  /** Whether the migration has ended: completed, failed or cancelled. */
  public boolean isFinished() {
    return equals(COMPLETED) || equals(FAILED) || equals(CANCELLED);
  }

  /** Whether a migration is under way (neither {@code none} nor finished). */
  public boolean isActive() {
    return !equals(NONE) && !isFinished();
  }

  @Override
  public String toString() {
    return wireName;
  }
}

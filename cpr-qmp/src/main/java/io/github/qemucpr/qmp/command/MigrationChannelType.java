package io.github.qemucpr.qmp.command;

import java.util.Objects;

/**
 * The role of a migration channel. An open set: a type this SDK does not know is kept as it came.
 *
 * @param wireName the type as QEMU spells it, such as {@code main}
 */
public record MigrationChannelType(String wireName) {
  /** The main migration stream. */
  public static final MigrationChannelType MAIN = new MigrationChannelType("main");

  /** The CPR state channel of the cpr-transfer mode (QEMU 10.0+). */
  public static final MigrationChannelType CPR = new MigrationChannelType("cpr");

  /** Checks the name. */
  public MigrationChannelType {
    Objects.requireNonNull(wireName, "wireName");
  }

  /** The type with this name, known or not. */
  public static MigrationChannelType of(String wireName) {
    return new MigrationChannelType(wireName);
  }

  @Override
  public String toString() {
    return wireName;
  }
}

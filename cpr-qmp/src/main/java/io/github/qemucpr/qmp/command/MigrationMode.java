package io.github.qemucpr.qmp.command;

import java.util.Objects;

/**
 * The migration mode, the {@code mode} parameter of {@code migrate-set-parameters}. An open set: a
 * mode this SDK does not know is kept as it came. Which modes a QEMU accepts can be asked with
 * {@link QmpSchema#enumValuesOfArgument(String, String)}.
 *
 * @param wireName the mode as QEMU spells it, such as {@code cpr-reboot}
 */
public record MigrationMode(String wireName) {
  /** An ordinary live migration. */
  public static final MigrationMode NORMAL = new MigrationMode("normal");

  /**
   * CheckPoint and Restart for a host reboot or a QEMU update, through a state file (QEMU 8.2+).
   */
  public static final MigrationMode CPR_REBOOT = new MigrationMode("cpr-reboot");

  /** CPR to a new QEMU process on the same host, over a cpr channel (QEMU 10.0+). */
  public static final MigrationMode CPR_TRANSFER = new MigrationMode("cpr-transfer");

  /** CPR by exec'ing a new QEMU binary in the same process (QEMU 10.2+). */
  public static final MigrationMode CPR_EXEC = new MigrationMode("cpr-exec");

  /** Checks the name. */
  public MigrationMode {
    Objects.requireNonNull(wireName, "wireName");
  }

  /** The mode with this name, known or not. */
  public static MigrationMode of(String wireName) {
    return new MigrationMode(wireName);
  }

  @Override
  public String toString() {
    return wireName;
  }
}

package io.github.qemucpr.qmp.command;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The reply to {@link QueryMigrate}. Before any migration QEMU replies with an empty object: the
 * status is then {@link MigrationStatus#NONE}.
 *
 * @param status the status; {@link MigrationStatus#NONE} when QEMU leaves it out
 * @param errorDesc why the migration failed, when it did ({@code error-desc})
 * @param blockedReasons what blocks a migration in the mode that is set now, such as a memory
 *     region that is not shared for cpr-transfer; empty when nothing does. Set the mode first, then
 *     ask.
 * @param totalTime milliseconds since the migration started, or its whole duration once finished
 * @param expectedDowntime the downtime QEMU expects, in milliseconds, while active
 * @param downtime the actual downtime in milliseconds, once completed
 * @param setupTime the setup phase in milliseconds
 * @param ram RAM transfer statistics, when a migration has started
 */
public record MigrationInfo(
    MigrationStatus status,
    @Nullable String errorDesc,
    List<String> blockedReasons,
    @Nullable Long totalTime,
    @Nullable Long expectedDowntime,
    @Nullable Long downtime,
    @Nullable Long setupTime,
    @Nullable MigrationRamStats ram) {

  /** Fills in the defaults of absent members and copies the list. */
  public MigrationInfo {
    status = Objects.requireNonNullElse(status, MigrationStatus.NONE);
    blockedReasons = blockedReasons == null ? List.of() : List.copyOf(blockedReasons);
  }

  /** Whether QEMU reports something that blocks a migration in the current mode. */
  public boolean isBlocked() {
    return !blockedReasons.isEmpty();
  }
}

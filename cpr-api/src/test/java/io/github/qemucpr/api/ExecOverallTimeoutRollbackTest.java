package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprExecException.VmLocation;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.testing.FakeQemu;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The overall timeout runs out during a cpr-exec's migration. The rollback cancels it (QEMU answers
 * at once: cancelled, VM running) and must still get a few answers from QEMU past the deadline, so
 * that it rolls back in the old QEMU (mode, capabilities and descriptor put back, state file
 * deleted) instead of reporting the VM's place as unknown. (It got a 1 ms wait before.)
 */
class ExecOverallTimeoutRollbackTest {
  private final ExecFake fake = new ExecFake();
  private final FakeQemu qemu = fake.qemu;
  private final QmpClient qmp = fake.qmp;
  @TempDir Path dir;

  @AfterEach
  void tearDown() {
    fake.close();
  }

  @Test
  @Timeout(60)
  void anOverallTimeoutDuringTheMigrationIsRolledBackInTheOldQemu() {
    Path state = dir.resolve("exec.state");
    qemu.migrateScript(FakeQemu.hangs()); // migrate_cancel ends it at once: cancelled, RESUME

    CprExecException e =
        catchThrowableOfType(
            CprExecException.class, () -> fake.exec(state).timeout(Duration.ofSeconds(3)).run());

    assertThat(e).isNotNull();
    assertThat(e.phase()).isEqualTo(CprPhase.MIGRATE);
    assertThat(qemu.migrationStatus()).isEqualTo("cancelled");
    assertThat(e.vmLocation()).as(e.getMessage()).isEqualTo(VmLocation.OLD_QEMU);
    assertThat(qemu.mode()).as("cpr-exec mode left set").isEqualTo("normal");
    assertThat(qemu.fdsets()).as("fd set left in QEMU").isEmpty();
    assertThat(e.recovery()).as(e.getMessage()).isEqualTo(VmRecovery.RESTORED);
  }
}

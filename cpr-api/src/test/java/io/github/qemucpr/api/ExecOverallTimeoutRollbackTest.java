package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprExecException.VmLocation;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.testing.FakeQemu;
import io.github.qemucpr.testing.Responders;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack: the overall timeout runs out during the migration of a cpr-exec. The rollback cancels the
 * migration (QEMU answers at once: cancelled, VM running), but its wait for "exec or failure" gets
 * only what is left of the overall deadline, i.e. nothing: a 1 ms query-migrate, then UNDECIDED.
 * The VM is then reported UNKNOWN, cpr-exec mode and the fd set are left behind, and the
 * (incomplete) state file is kept, though QEMU said plainly that the exec can no longer happen.
 */
class ExecOverallTimeoutRollbackTest {
  private final FakeQemu qemu = FakeQemu.start();
  private final QmpClient qmp;
  @TempDir Path dir;

  ExecOverallTimeoutRollbackTest() {
    qemu.modes(List.of("normal", "cpr-reboot", "cpr-transfer", "cpr-exec"));
    qemu.addMemdev(FakeQemu.Memdev.memfd("ram0", 64L << 20));
    qmp = QmpClient.connect(qemu.socketPath());
  }

  @AfterEach
  void tearDown() {
    qmp.close();
    qemu.close();
  }

  @Test
  @Timeout(60)
  void anOverallTimeoutDuringTheMigrationIsRolledBackInTheOldQemu() {
    Path state = dir.resolve("exec.state");
    qemu.server().enqueue("qom-get", Responders.returns("true"));
    qemu.migrateScript(FakeQemu.hangs()); // migrate_cancel ends it at once: cancelled, RESUME

    CprExecException e =
        catchThrowableOfType(
            CprExecException.class,
            () ->
                CprExec.of(qmp)
                    .newCommand(
                        List.of(
                            "/bin/sh",
                            "-qmp",
                            "unix:" + qemu.server().socketPath() + ",server=on,wait=off"))
                    .stateFile(state)
                    .timeout(Duration.ofSeconds(3))
                    .run());

    assertThat(e).isNotNull();
    assertThat(e.phase()).isEqualTo(CprPhase.MIGRATE);
    assertThat(qemu.migrationStatus()).isEqualTo("cancelled");
    assertThat(e.vmLocation()).as(e.getMessage()).isEqualTo(VmLocation.OLD_QEMU);
    assertThat(qemu.mode()).as("cpr-exec mode left set").isEqualTo("normal");
    assertThat(qemu.fdsets()).as("fd set left in QEMU").isEmpty();
    assertThat(e.recovery()).as(e.getMessage()).isEqualTo(VmRecovery.RESTORED);
  }
}

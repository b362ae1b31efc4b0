package io.github.qemucpr.api.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprRestoreException;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.RunState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fault 8: the target QEMU is started with another machine type or RAM size than the saved one.
 * Each attempt fails and leaves the target alive ({@code exit-on-error: false}) and the checkpoint
 * unconsumed, so that the restore into a correct target afterwards works.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class MismatchedTargetIT extends FaultTest {

  @Test
  void anotherMachineTypeOrRamSizeFailsAndTheCheckpointStaysUsable() throws Exception {
    Path state = dir.resolve("vm.state");
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).build()) {
      Path ram = vm.memoryFile().orElseThrow();
      try (QemuInstance source = vm.start();
          QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
        CprReboot.save(qmp).to(state).run();
        assertThat(source.awaitExit(Duration.ofSeconds(30))).isZero();
      }
      Checkpoint saved = Checkpoint.capture(state);

      // i440fx instead of q35, on the same RAM file: QEMU itself fails the load.
      try (QemuLauncher pc =
              QemuLauncher.builder().memoryMiB(64).memoryFile(ram).machine("pc").build();
          QemuInstance target = pc.startIncoming();
          QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
        CprRestoreException e =
            catchThrowableOfType(
                CprRestoreException.class,
                () -> CprReboot.restore(qmp).from(state).progressListener(recordEvents()).run());
        assertThat(e.phase()).isEqualTo(CprPhase.LOAD);
        assertThat(e.qemuError()).as(e.toString()).isNotBlank();
        assertThat(e)
            .hasMessageStartingWith("LOAD: The restore failed: QEMU could not load")
            .hasMessageContaining(e.qemuError())
            .hasMessageContaining("(run state inmigrate)");
        assertThat(e.vmState()).isEqualTo(RunState.INMIGRATE);
        assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
        assertThat(target.isAlive()).isTrue();
        assertThat(runState(qmp)).isEqualTo(RunState.INMIGRATE);
        assertThat(qmp.execute(new QueryMigrate()).status()).isEqualTo(MigrationStatus.FAILED);
        assertThat(fdsets(qmp)).as("the state file's fd set is removed").isEmpty();
        System.out.println("FAULT-8 machine type: " + e.getMessage());
      }
      saved.assertIntact();

      // 128 MiB instead of 64: refused before anything is loaded.
      try (QemuLauncher big = QemuLauncher.builder().memoryMiB(128).build();
          QemuInstance target = big.startIncoming();
          QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
        CprRestoreException e =
            catchThrowableOfType(
                CprRestoreException.class, () -> CprReboot.restore(qmp).from(state).run());
        assertThat(e.phase()).isEqualTo(CprPhase.PREPARE);
        assertThat(e)
            .hasMessageContaining("not started with the saved VM's memory")
            .hasMessageContaining("has " + (128L << 20) + " bytes, not " + (64L << 20))
            .hasMessageContaining("(run state inmigrate)");
        assertThat(e.recovery()).isEqualTo(VmRecovery.UNTOUCHED);
        assertThat(target.isAlive()).isTrue();
        assertUntouchedIncoming(qmp);
        System.out.println("FAULT-8 RAM size: " + e.getMessage());
      }
      saved.assertIntact();
      assertThat(CprManifest.read(state).orElseThrow().restoreStartedAt()).isNull();

      try (QemuInstance target = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
        assertThat(CprReboot.restore(qmp).from(state).run().runState()).isEqualTo(RunState.RUNNING);
        assertThat(CprManifest.read(state).orElseThrow().restored()).isTrue();
      }
    }
  }
}

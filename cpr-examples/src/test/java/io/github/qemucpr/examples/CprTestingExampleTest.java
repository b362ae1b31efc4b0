package io.github.qemucpr.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprSaveException;
import io.github.qemucpr.api.CprSaveResult;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.Cont;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.testing.FakeQemu;
import io.github.qemucpr.testing.FakeQmpServer;
import io.github.qemucpr.testing.Responders;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's cpr-testing examples, run: a manager's code tested against the fake monitor, and a
 * CPR save tested against {@link FakeQemu}.
 */
class CprTestingExampleTest {
  @TempDir Path dir;

  /** The code under test: resume a paused VM. */
  private static void resumeIfPaused(QmpClient qmp) {
    if (qmp.execute(new QueryStatus()).status().equals(RunState.PAUSED)) {
      qmp.execute(new Cont());
    }
  }

  @Test
  void aPausedVmIsResumed() throws Exception {
    try (FakeQmpServer qemu = FakeQmpServer.start()) {
      qemu.on("query-status", Responders.returns("{\"status\": \"paused\", \"running\": false}"));
      qemu.on("cont", Responders.returns("{}"));
      try (QmpClient qmp = QmpClient.connect(qemu.socketPath())) {
        resumeIfPaused(qmp);
      }
      assertThat(qemu.takeRequest().command()).isEqualTo("qmp_capabilities");
      assertThat(qemu.takeRequest().command()).isEqualTo("query-status");
      assertThat(qemu.takeRequest().command()).isEqualTo("cont");
    }
  }

  @Test
  void aRunningVmIsLeftAlone() throws Exception {
    try (FakeQmpServer qemu = FakeQmpServer.start()) {
      qemu.on("query-status", Responders.returns("{\"status\": \"running\", \"running\": true}"));
      try (QmpClient qmp = QmpClient.connect(qemu.socketPath())) {
        resumeIfPaused(qmp);
      }
      assertThat(qemu.requests())
          .extracting(FakeQmpServer.Request::command)
          .containsExactly("qmp_capabilities", "query-status");
    }
  }

  /** The README's FakeQemu example: a save that meets a full disk is rolled back. */
  @Test
  void aSaveThatMeetsAFullDiskLeavesTheGuestRunningInNormalMode() throws Exception {
    Path ram = Files.createFile(dir.resolve("ram0.img"));
    try (FakeQemu qemu = FakeQemu.start()) {
      qemu.addMemdev(FakeQemu.Memdev.file("ram0", 64L << 20, ram));
      qemu.migrateScript(FakeQemu.failsWith("No space left on device"));
      CprSaveException e;
      try (QmpClient qmp = QmpClient.connect(qemu.socketPath())) {
        e =
            catchThrowableOfType(
                CprSaveException.class,
                () -> CprReboot.save(qmp).to(dir.resolve("vm.state")).run());
      }
      assertThat(e.qemuError()).isEqualTo("No space left on device");
      assertThat(e.recovery()).isEqualTo(VmRecovery.RESTORED);
      assertThat(qemu.runState()).isEqualTo("running");
      assertThat(qemu.mode()).isEqualTo("normal");
      assertThat(qemu.capabilities()).doesNotContainValue(true);
      assertThat(qemu.commandsAfter("migrate"))
          .contains("remove-fd", "migrate-set-capabilities", "migrate-set-parameters");
      assertThat(dir.resolve("vm.state")).doesNotExist();
    }
  }

  /** The same save, completed: the fake ends as QEMU 10.0 does after a cpr-reboot save. */
  @Test
  void aSaveThatCompletesLeavesQemuInPostmigrateAndQuitsIt() throws Exception {
    Path ram = Files.createFile(dir.resolve("ram0.img"));
    try (FakeQemu qemu = FakeQemu.start()) {
      qemu.addMemdev(FakeQemu.Memdev.file("ram0", 64L << 20, ram));
      CprSaveResult result;
      try (QmpClient qmp = QmpClient.connect(qemu.socketPath())) {
        result = CprReboot.save(qmp).to(dir.resolve("vm.state")).run();
      }
      assertThat(result.quit()).isTrue();
      assertThat(qemu.migrationStatus()).isEqualTo("completed");
      assertThat(qemu.runState()).isEqualTo("postmigrate");
      assertThat(qemu.requests("migrate")).hasSize(1);
      assertThat(qemu.commands()).endsWith("quit");
      assertThat(dir.resolve("vm.state")).exists();
    }
  }
}

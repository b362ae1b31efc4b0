package io.github.qemucpr.api.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprPreflightException;
import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.PreflightCode;
import io.github.qemucpr.api.PreflightItem;
import io.github.qemucpr.api.PreflightReport;
import io.github.qemucpr.api.SuspendPolicy;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.testing.TestGuest;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.QueryMigrateParameters;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.testing.FakeGuestAgent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fault 5: a guest that cannot suspend because S3 is disabled ({@code -global
 * ICH9-LPC.disable_s3=1}). QEMU still says wakeup-suspend-support, and the guest would accept
 * {@code guest-suspend-ram} and fall into suspend-to-idle, silent and beyond {@code system_wakeup}
 * (pinned in cpr-qga's BootTestGuestIT). The preflight reads {@code disable_s3} through QOM and
 * refuses, so the guest is never asked to suspend.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class S3DisabledIT extends FaultTest {

  @Test
  void theSaveIsRefusedBeforeTheGuestIsAskedToSuspend() throws Exception {
    Path state = dir.resolve("guest.state");
    try (TestGuest guest = TestGuest.builder().disableS3().start();
        QmpClient qmp = guest.connectQmp();
        GuestAgentClient qga = guest.connectAgent()) {
      assertThat(guest.commandLine()).contains("ICH9-LPC.disable_s3=1");
      long heartbeat = guest.awaitHeartbeatAfter(0, Duration.ofSeconds(30));

      PreflightReport report =
          CprReboot.save(qmp).to(state).guestAgent(qga).suspendPolicy(SuspendPolicy.ALWAYS).check();
      assertThat(report.errors())
          .extracting(PreflightItem::code)
          .containsExactly(PreflightCode.S3_DISABLED);
      PreflightItem item = report.errors().get(0);
      assertThat(item.message()).contains("disable_s3=1", "suspend-to-idle");
      assertThat(item.fix()).contains("-global ICH9-LPC.disable_s3=0");

      CprPreflightException e =
          catchThrowableOfType(
              CprPreflightException.class,
              () ->
                  CprReboot.save(qmp)
                      .to(state)
                      .guestAgent(qga)
                      .suspendPolicy(SuspendPolicy.ALWAYS)
                      .progressListener(recordEvents())
                      .run());
      assertThat(e.phase()).isEqualTo(CprPhase.PREFLIGHT);
      assertThat(e)
          .hasMessageStartingWith("PREFLIGHT: the preflight found 1 error: S3_DISABLED")
          .hasMessageContaining("(run state running)");
      assertThat(e.recovery()).isEqualTo(VmRecovery.UNTOUCHED);
      assertThat(events).noneMatch(ev -> ev.phase() == CprPhase.SUSPEND);

      assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
      assertThat(qmp.execute(new QueryMigrate()).status()).isEqualTo(MigrationStatus.NONE);
      assertThat(qmp.execute(new QueryMigrateParameters()).mode().wireName()).isEqualTo("normal");
      qga.ping(); // never asked to suspend: it answers
      assertThat(guest.awaitHeartbeatAfter(heartbeat + 1, Duration.ofSeconds(30)))
          .isGreaterThan(heartbeat + 1);
      assertThat(dir).isEmptyDirectory();

      // A save that need not suspend the guest is not concerned.
      assertThat(CprReboot.save(qmp).to(state).check().has(PreflightCode.S3_DISABLED)).isFalse();
    }
  }

  /**
   * The same on i440fx ({@code -machine pc}), where S3 is PIIX4_PM's: a machine-only VM (the check
   * stops short of the guest), with a fake agent that answers the preflight's ping.
   */
  @Test
  void onI440fxPiix4PmDisableS3IsFound() throws Exception {
    Path state = dir.resolve("vm.state");
    for (int disabled = 1; disabled >= 0; disabled--) {
      try (QemuLauncher vm =
              QemuLauncher.builder()
                  .machine("pc")
                  .memoryMiB(64)
                  .extraArgs("-global", "PIIX4_PM.disable_s3=" + disabled)
                  .build();
          QemuInstance qemu = vm.start();
          QmpClient qmp = QmpClient.connect(qemu.qmpSocket());
          FakeGuestAgent agent = FakeGuestAgent.start();
          GuestAgentClient qga = GuestAgentClient.connect(agent.socketPath())) {
        PreflightReport report =
            CprReboot.save(qmp)
                .to(state)
                .guestAgent(qga)
                .suspendPolicy(SuspendPolicy.ALWAYS)
                .check();
        if (disabled == 1) {
          assertThat(report.errors())
              .as(report.toString())
              .extracting(PreflightItem::code)
              .containsExactly(PreflightCode.S3_DISABLED);
          assertThat(report.errors().get(0).message()).contains("PIIX4_PM disable_s3=1");
          assertThat(report.errors().get(0).fix()).contains("-global PIIX4_PM.disable_s3=0");
        } else {
          assertThat(report.has(PreflightCode.S3_DISABLED)).as(report.toString()).isFalse();
        }
        assertThat(agent.commands()).doesNotContain("guest-suspend-ram");
        assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
      }
    }
    assertThat(dir).isEmptyDirectory();
  }
}

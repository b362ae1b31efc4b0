package io.github.qemucpr.api.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprSaveException;
import io.github.qemucpr.api.PreflightCode;
import io.github.qemucpr.api.PreflightReport;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.testing.TestGuest;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.MigrationCapabilityStatus;
import io.github.qemucpr.qmp.command.QueryMigrateCapabilities;
import io.github.qemucpr.qmp.command.QueryMigrateParameters;
import io.github.qemucpr.qmp.command.RunState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fault 6: the disk fills during a copied-RAM save. The state directory is a 1 MiB tmpfs, the test
 * guest's RAM is memfd (copied into the state file), and the guest runs its OS: QEMU fails the
 * migration with ENOSPC, and the save rolls back to a running guest.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DiskFullIT extends FaultTest {

  @Test
  void aFullStateDirectoryRollsTheSaveBackAndTheGuestRunsOn() throws Exception {
    Path tiny = Files.createDirectory(dir.resolve("tiny"));
    mount(tiny, "1m");
    try {
      Path state = tiny.resolve("guest.state");
      Path other = Files.writeString(tiny.resolve("unrelated.txt"), "kept", StandardCharsets.UTF_8);
      try (TestGuest guest = TestGuest.builder().memfd().start();
          QmpClient qmp = guest.connectQmp();
          GuestAgentClient qga = guest.connectAgent()) {
        assertThat(guest.memoryFile()).isEmpty();
        long heartbeat = guest.awaitHeartbeatAfter(0, Duration.ofSeconds(30));
        List<MigrationCapabilityStatus> capabilitiesBefore =
            qmp.execute(new QueryMigrateCapabilities());

        PreflightReport report = CprReboot.save(qmp).to(state).check();
        assertThat(report.warnings())
            .extracting(i -> i.code())
            .contains(PreflightCode.MEMORY_COPIED, PreflightCode.STATE_FREE_SPACE_LOW);
        CprSaveException e =
            catchThrowableOfType(
                CprSaveException.class,
                () -> CprReboot.save(qmp).to(state).progressListener(recordEvents()).run());

        assertThat(e.phase()).isEqualTo(CprPhase.MIGRATE);
        assertThat(e.qemuError()).contains("No space left on device");
        assertThat(e)
            .hasMessageStartingWith("MIGRATE: ")
            .hasMessageContaining("No space left on device")
            .hasMessageContaining("put back as it was (run state running)");
        assertThat(e.recovery()).isEqualTo(VmRecovery.RESTORED);
        assertThat(e.vmState()).isEqualTo(RunState.RUNNING);
        assertThat(e.checkpointSaved()).isFalse();

        assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
        assertThat(qmp.execute(new QueryMigrateParameters()).mode().wireName()).isEqualTo("normal");
        assertThat(qmp.execute(new QueryMigrateCapabilities())).isEqualTo(capabilitiesBefore);
        assertThat(fdsets(qmp)).isEmpty();
        assertThat(filesIn(tiny)).containsExactly("unrelated.txt");
        assertThat(other).hasContent("kept");
        assertThat(guest.awaitHeartbeatAfter(heartbeat + 1, Duration.ofSeconds(30)))
            .isGreaterThan(heartbeat + 1);
        qga.ping();
      }
    } finally {
      umount(tiny);
    }
  }

  static void mount(Path dir, String size) throws Exception {
    Process p =
        new ProcessBuilder(
                "mount",
                "-t",
                "tmpfs",
                "-o",
                "size=" + size + ",mode=0700",
                "tmpfs",
                dir.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("mount: %s", out).isZero();
  }

  static void umount(Path dir) throws Exception {
    new ProcessBuilder("umount", dir.toString()).inheritIO().start().waitFor();
  }
}

package io.github.qemucpr.api.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprCheckpointException;
import io.github.qemucpr.api.CprCheckpointException.Reason;
import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.GuestRam;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QmpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The RAM file of a checkpoint saved in place is deleted after the save, as a host reboot empties
 * {@code /dev/shm} or a cleanup removes it; the new QEMU, started with the same {@code mem-path},
 * creates a new zero-filled file there. The mem-path strings still match, so the restore used to go
 * on and hand QEMU the device state for RAM it never had (QEMU 10.0.2 x86 happens to fail that load
 * in kvm-tpr-opt, which reads guest RAM, leaving a QEMU that must be replaced). The restore must
 * refuse it from the manifest's record of the file, before it touches QEMU.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReplacedRamFileIT extends FaultTest {
  private static final long MARKER_OFFSET = 48L << 20;

  /** In /dev/shm (tmpfs), as the launcher puts it. */
  @Test
  void aRamFileInTmpfsCreatedAgainByTheNewQemuIsRefused() throws Exception {
    refusesARamFileCreatedAgain(QemuLauncher.builder().memoryMiB(64).build());
  }

  /**
   * On a disk file system (the temp directory, when it is one), which gives the new file the very
   * inode the deleted one freed: the modification time tells them apart.
   */
  @Test
  void aRamFileOnADiskCreatedAgainByTheNewQemuIsRefused() throws Exception {
    Path ramDir = Files.createDirectory(dir.resolve("ram"));
    refusesARamFileCreatedAgain(
        QemuLauncher.builder().memoryMiB(64).memoryFile(ramDir.resolve("vm.ram")).build());
  }

  private void refusesARamFileCreatedAgain(QemuLauncher launcher) throws Exception {
    Path state = dir.resolve("vm.state");
    byte[] marker = GuestRam.randomBytes(4096, 31);
    try (QemuLauncher vm = launcher) {
      Path ram = vm.memoryFile().orElseThrow();
      try (QemuInstance source = vm.start();
          QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
        GuestRam.writeAt(ram, MARKER_OFFSET, marker);
        CprReboot.save(qmp).to(state).run();
        assertThat(source.awaitExit(Duration.ofSeconds(30))).isZero();
      }
      Checkpoint saved = Checkpoint.capture(state);
      Files.delete(ram);

      try (QemuInstance target = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
        assertThat(ram).as("the new QEMU created the RAM file again").exists();
        assertThat(GuestRam.readAt(ram, MARKER_OFFSET, marker.length))
            .isEqualTo(new byte[marker.length]);
        CprCheckpointException e =
            catchThrowableOfType(
                CprCheckpointException.class,
                () -> CprReboot.restore(qmp).from(state).progressListener(recordEvents()).run());
        assertThat(e.reason()).isEqualTo(Reason.MEMORY_FILE_REPLACED);
        assertThat(e).hasMessageContaining(ram + " is not the file the save left there");
        assertUntouchedIncoming(qmp);
        assertThat(target.isAlive()).isTrue();
      }
      saved.assertIntact();
      assertThat(CprManifest.read(state).orElseThrow().restoreStartedAt()).isNull();
    }
  }
}

package io.github.qemucpr.api.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprRestoreResult;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.RunState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11 review: the manifest's RAM-file identity compares the file's modification time, but a
 * QEMU started with {@code prealloc=on} (libvirt's {@code <allocation mode="immediate"/>}, common
 * with hugepages) touches every page of its RAM file for writing at start-up, before the restore
 * runs: the kernel updates the file's mtime (checked on ext4 and tmpfs with QEMU 10.0.2), so a
 * legitimate restore of the very file the save left is refused as MEMORY_FILE_REPLACED, with the
 * VM already down.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReviewPreallocIT extends FaultTest {

  @Test
  void aRestoreIntoAQemuThatPreallocatesTheSameRamFileIsNotRefused() throws Exception {
    Path ram = Files.createDirectory(dir.resolve("ram")).resolve("vm.ram");
    Path state = dir.resolve("vm.state");
    // The launcher's own backend is replaced as the machine's RAM by a file backend with
    // prealloc=on (a later -machine option overrides memory-backend).
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).anonymousMemory()
        .extraArgs("-object", "memory-backend-file,id=ram1,size=64M,mem-path=" + ram
                + ",share=on,prealloc=on",
            "-machine", "memory-backend=ram1")
        .build()) {
      try (QemuInstance source = vm.start();
          QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
        CprReboot.save(qmp).to(state).run();
        assertThat(source.awaitExit(Duration.ofSeconds(30))).isZero();
      }
      // Same file, same boot, same QEMU binary and arguments: nothing replaced it.
      try (QemuInstance target = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
        CprRestoreResult r =
            CprReboot.restore(qmp).from(state).progressListener(recordEvents()).run();
        assertThat(r.runState()).isEqualTo(RunState.RUNNING);
      }
    }
  }
}

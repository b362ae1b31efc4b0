package io.github.qemucpr.api.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprCheckpointException;
import io.github.qemucpr.api.CprCheckpointException.Reason;
import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprRestoreResult;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.RunState;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A QEMU started with {@code prealloc=on} (libvirt's {@code <allocation mode="immediate"/>}, common
 * with hugepages) touches every page of its RAM file for writing at start-up, before the restore
 * runs, writing back what it read: the kernel updates the file's modification time (checked on ext4
 * and tmpfs with QEMU 10.0.2), but not its contents. The restore tells the file the save left from
 * another by its inode and a sample of its contents, not by that time: it restores into such a
 * QEMU, and still refuses a file whose contents are gone.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PreallocatedRamFileIT extends FaultTest {

  /** A RAM file on a disk file system (the temp directory), where inodes are reused. */
  private QemuLauncher preallocating(Path ram) {
    // The launcher's own backend is replaced as the machine's RAM by a file backend with
    // prealloc=on (a later -machine option overrides memory-backend).
    return QemuLauncher.builder()
        .memoryMiB(64)
        .anonymousMemory()
        .extraArgs(
            "-object",
            "memory-backend-file,id=ram1,size=64M,mem-path=" + ram + ",share=on,prealloc=on",
            "-machine",
            "memory-backend=ram1")
        .build();
  }

  private void save(QemuLauncher vm, Path state) throws Exception {
    try (QemuInstance source = vm.start();
        QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
      CprReboot.save(qmp).to(state).run();
      assertThat(source.awaitExit(Duration.ofSeconds(30))).isZero();
    }
  }

  @Test
  void aRestoreIntoAQemuThatPreallocatesTheSameRamFileIsNotRefused() throws Exception {
    Path ram = Files.createDirectory(dir.resolve("ram")).resolve("vm.ram");
    Path state = dir.resolve("vm.state");
    try (QemuLauncher vm = preallocating(ram)) {
      save(vm, state);
      CprManifest.RamFile saved =
          CprManifest.read(state).orElseThrow().memoryBackends().stream()
              .filter(b -> b.id().equals("ram1"))
              .findFirst()
              .orElseThrow()
              .file();
      assertThat(saved).isNotNull();
      assertThat(saved.contentSample()).as("pages of the booted guest's RAM").isNotNull();
      // Same file, same boot, same QEMU binary and arguments: nothing replaced it.
      try (QemuInstance target = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
        assertThat(Files.getLastModifiedTime(ram))
            .as("prealloc=on wrote the file: the scenario is real")
            .isNotEqualTo(FileTime.from(saved.modifiedAt()));
        CprRestoreResult r =
            CprReboot.restore(qmp).from(state).progressListener(recordEvents()).run();
        assertThat(r.runState()).isEqualTo(RunState.RUNNING);
      }
    }
  }

  /**
   * The same inode, size and boot, but zero-filled, as a file created again on a disk that reuses
   * the freed inode (here zeroed in place, which keeps the inode for certain): the contents tell.
   */
  @Test
  void aPreallocatedRamFileWhoseContentsAreGoneIsStillRefused() throws Exception {
    Path ram = Files.createDirectory(dir.resolve("ram")).resolve("vm.ram");
    Path state = dir.resolve("vm.state");
    try (QemuLauncher vm = preallocating(ram)) {
      save(vm, state);
      Object inode = Files.readAttributes(ram, "unix:ino").get("ino");
      try (FileChannel ch = FileChannel.open(ram, StandardOpenOption.WRITE)) {
        ByteBuffer zeros = ByteBuffer.allocate(1 << 20);
        for (long at = 0; at < ch.size(); at += zeros.capacity()) {
          zeros.clear();
          ch.write(zeros, at);
        }
      }
      Checkpoint checkpoint = Checkpoint.capture(state);
      try (QemuInstance target = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
        assertThat(Files.readAttributes(ram, "unix:ino").get("ino")).isEqualTo(inode);
        CprCheckpointException e =
            catchThrowableOfType(
                CprCheckpointException.class,
                () -> CprReboot.restore(qmp).from(state).progressListener(recordEvents()).run());
        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(Reason.MEMORY_FILE_REPLACED);
        assertThat(e)
            .hasMessageContaining(ram + " is not the file the save left there")
            .hasMessageContaining("the save sampled")
            .hasMessageContaining("other content now");
        assertUntouchedIncoming(qmp);
        assertThat(target.isAlive()).isTrue();
      }
      checkpoint.assertIntact();
    }
  }
}

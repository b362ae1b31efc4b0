package io.github.qemucpr.qmp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.launcher.QemuLaunchException;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.MemoryBackend;
import io.github.qemucpr.qmp.command.QueryMemdev;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.testing.QemuProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The QEMU test helper itself: what it starts, how it fails, and what it cleans up. */
class QemuProcessIT {

  @Test
  void qemuIsVersion10OrNewer() {
    assertThat(QemuProcess.requireQemu10().isAtLeast(10, 0)).isTrue();
  }

  @Test
  void closeKillsQemuAndDeletesItsFiles() {
    QemuProcess qemu = QemuProcess.start();
    Path dir = qemu.directory();
    Path ram = qemu.memoryFile().orElseThrow();
    assertThat(ram).startsWith(Path.of("/dev/shm")).exists();
    assertThat(qemu.qmpSocket()).exists();
    assertThat(qemu.isAlive()).isTrue();
    qemu.close();
    qemu.close();
    assertThat(qemu.isAlive()).isFalse();
    assertThat(dir).doesNotExist();
    assertThat(ram).doesNotExist();
  }

  @Test
  void aCallerOwnedMemoryFileOutlivesQemu() throws Exception {
    Path ram = QemuProcess.uniqueShmFile();
    try {
      try (QemuProcess qemu = QemuProcess.builder().memoryFile(ram).memoryMiB(32).start()) {
        assertThat(qemu.memoryFile()).contains(ram);
      }
      assertThat(ram).exists();
      assertThat(Files.size(ram)).isEqualTo(32L << 20);
    } finally {
      Files.deleteIfExists(ram);
    }
  }

  @Test
  void memfdBackendAndIncomingDefer() {
    try (QemuProcess qemu = QemuProcess.builder().memfd().incomingDefer().start();
        QmpClient qmp = qemu.connect()) {
      assertThat(qemu.memoryFile()).isEmpty();
      assertThat(qmp.execute(new QueryMemdev()))
          .singleElement()
          .extracting(MemoryBackend::share)
          .isEqualTo(true);
      assertThat(qmp.execute(new QueryStatus()).status()).isEqualTo(RunState.INMIGRATE);
    }
  }

  @Test
  void qemuThatExitsEarlyFailsWithItsStderr() {
    assertThatThrownBy(
            () ->
                QemuProcess.builder()
                    .extraArgs("--no-such-option")
                    .startTimeout(Duration.ofSeconds(5))
                    .start())
        .isInstanceOf(QemuLaunchException.class)
        .hasMessageContaining("exited")
        .hasMessageContaining("no-such-option");
  }

  @Test
  void builderRefusesASecondSetOfAnOption() {
    assertThatThrownBy(() -> QemuProcess.builder().memfd().anonymousMemory())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> QemuProcess.builder().memoryMiB(4))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

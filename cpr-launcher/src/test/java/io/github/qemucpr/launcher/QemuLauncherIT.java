package io.github.qemucpr.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class QemuLauncherIT {

  @Test
  void startsAndCleansUpAMachineAndAnIncomingTwinOnTheSameRamFile() {
    Path ram;
    Path firstDir;
    try (QemuLauncher vm = QemuLauncher.builder().build()) {
      ram = vm.memoryFile().orElseThrow();
      try (QemuInstance first = vm.start()) {
        firstDir = first.directory();
        assertThat(first.isAlive()).isTrue();
        assertThat(first.qmpSocket()).exists();
        assertThat(ram).exists();
      }
      assertThat(firstDir).doesNotExist();
      assertThat(ram).as("the launcher, not the instance, owns the RAM file").exists();
      try (QemuInstance second = vm.startIncoming()) {
        assertThat(second.commandLine()).endsWith("-incoming", "defer");
        second.kill9();
        assertThat(second.isAlive()).isFalse();
      }
    }
    assertThat(ram).doesNotExist();
  }

  @Test
  void aQemuThatExitsAtOnceFailsWithItsOwnWords() {
    try (QemuLauncher vm = QemuLauncher.builder().extraArgs("-no-such-option").build()) {
      assertThatThrownBy(vm::start)
          .isInstanceOf(QemuLaunchException.class)
          .hasMessageContaining("QEMU exited")
          .hasMessageContaining("no-such-option");
    }
  }

  @Test
  void aSignalFreezesAndThawsQemu() {
    try (QemuLauncher vm = QemuLauncher.builder().build();
        QemuInstance qemu = vm.start()) {
      qemu.signal("STOP");
      qemu.signal("CONT");
      assertThat(qemu.isAlive()).isTrue();
      assertThat(qemu.uptime()).isPositive();
      assertThatThrownBy(() -> qemu.awaitExit(Duration.ofMillis(50)))
          .isInstanceOf(QemuLaunchException.class);
    }
  }
}

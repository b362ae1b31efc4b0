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

  @Test
  void pathsWithCommasReachQemuWhole() throws Exception {
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "cpr,it-");
    Path ram = dir.resolve("ram,0.img");
    String tmpdir = System.getProperty("java.io.tmpdir");
    System.setProperty("java.io.tmpdir", dir.toString()); // the instance's own directory, too
    try (QemuLauncher vm =
            QemuLauncher.builder()
                .memoryFile(ram)
                .guestAgent()
                .serialConsole()
                .name("vm,1")
                .build();
        QemuInstance qemu = vm.start()) {
      assertThat(qemu.directory().toString()).contains(",");
      assertThat(qemu.isAlive()).isTrue();
      assertThat(ram).exists().hasSize(64L << 20);
      assertThat(qemu.qmpSocket()).exists();
      assertThat(qemu.qgaSocket().orElseThrow()).exists();
      assertThat(qemu.consoleLog().orElseThrow()).exists();
    } finally {
      System.setProperty("java.io.tmpdir", tmpdir);
      try (var files = Files.walk(dir)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}

package io.github.qemucpr.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class QemuLauncherTest {

  @Test
  void aSharedFileVmHasItsRamInAShareOnFileBackend() {
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(256).build()) {
      List<String> cmd = vm.commandLine(Path.of("/run/vm1"), List.of());

      assertThat(String.join(" ", cmd))
          .contains("-accel tcg")
          .contains("-machine q35,memory-backend=ram0")
          .contains(
              "-object memory-backend-file,id=ram0,size=256M,mem-path="
                  + vm.memoryFile().orElseThrow()
                  + ",share=on")
          .contains("-qmp unix:/run/vm1/qmp.sock,server=on,wait=off")
          .doesNotContain("-incoming");
    }
  }

  @Test
  void theTestGuestGetsItsKernelConsoleAgentAndS3() {
    try (QemuLauncher vm =
        QemuLauncher.builder().testGuest(Path.of("/img/vmlinuz"), Path.of("/img/initrd")).build()) {
      String cmd = String.join(" ", vm.commandLine(Path.of("/d"), List.of("-incoming", "defer")));

      assertThat(cmd)
          .contains("-kernel /img/vmlinuz -initrd /img/initrd")
          .contains("-serial file:/d/console.log")
          .contains("-global ICH9-LPC.disable_s3=0")
          .contains("socket,id=qga0,path=/d/qga.sock,server=on,wait=off")
          .contains("name=org.qemu.guest_agent.0")
          .contains("size=256M")
          .endsWith("-incoming defer");
    }
  }

  @Test
  void memfdAuxRamShareAndS3OffAreSpelledAsQemuWantsThem() {
    try (QemuLauncher vm = QemuLauncher.builder().memfd().auxRamShare().s3(false).build()) {
      String cmd = String.join(" ", vm.commandLine(Path.of("/d"), List.of()));

      assertThat(cmd)
          .contains("memory-backend-memfd,id=ram0,size=64M,share=on")
          .contains("aux-ram-share=on")
          .contains("ICH9-LPC.disable_s3=1");
      assertThat(vm.memoryFile()).isEmpty();
    }
  }

  @Test
  void commasInPathsAndTheNameAreDoubledWhereQemusOptionSyntaxWouldSplitThem() {
    Path ram = Path.of("/srv/vm,1/ram,0.img");
    try (QemuLauncher vm =
        QemuLauncher.builder()
            .memoryFile(ram)
            .testGuest(Path.of("/img,s/vmlinuz"), Path.of("/img,s/initrd"))
            .name("vm,1")
            .build()) {
      List<String> cmd = vm.commandLine(Path.of("/run/a,b"), List.of());

      assertThat(cmd)
          .contains("memory-backend-file,id=ram0,size=256M,mem-path=/srv/vm,,1/ram,,0.img,share=on")
          .contains("socket,id=qga0,path=/run/a,,b/qga.sock,server=on,wait=off")
          .contains("unix:/run/a,,b/qmp.sock,server=on,wait=off")
          .contains("vm,,1")
          // taken whole by QEMU: a doubled comma would be part of the path
          .contains("/img,s/vmlinuz", "/img,s/initrd", "file:/run/a,b/console.log");
    }
  }

  @Test
  void theBuilderChecksEachOptionOnce() {
    QemuLauncher.Builder b = QemuLauncher.builder().memfd();
    assertThatThrownBy(b::anonymousMemory)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already set to MEMFD");
    assertThatThrownBy(() -> b.memoryMiB(1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> QemuLauncher.builder().memoryFile(Path.of("relative")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

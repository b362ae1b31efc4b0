package io.github.qemucpr.examples;

import static io.github.qemucpr.examples.support.Processes.cpr;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.examples.support.Processes.Run;
import io.github.qemucpr.examples.support.Readme;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the README's "Setting up a VM for CPR" command line, with its own paths, TCG instead of KVM
 * and 64 MiB instead of 4 GiB, and checks that the tool finds it ready for a save. QEMU is started
 * here directly rather than through the launcher, because the README's command line is what is
 * under test.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ReadmeVmSetupIT {
  private static final Duration T = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void theDocumentedCommandLineIsReadyForCpr() throws Exception {
    String documented =
        Readme.shellCommands().stream()
            .filter(c -> c.startsWith("qemu-system-x86_64 "))
            .findFirst()
            .orElseThrow();
    Path ram = Path.of("/dev/shm", "readme-" + UUID.randomUUID() + ".ram");
    String command =
        documented
            .replace("-accel kvm", "-accel tcg")
            .replace("-m 4G", "-m 64M")
            .replace("size=4G", "size=64M")
            .replace("/dev/shm/vm1.ram", ram.toString())
            .replace("/run/vm1/", dir + "/")
            .replace("/var/lib/vm1/", dir + "/");
    assertThat(command).doesNotContain("kvm", "4G", "/run/vm1", "/var/lib/vm1");
    Process img =
        new ProcessBuilder(
                "qemu-img", "create", "-f", "qcow2", dir.resolve("disk.qcow2").toString(), "64M")
            .redirectErrorStream(true)
            .start();
    assertThat(img.waitFor()).isZero();

    List<String> args = new ArrayList<>(Arrays.asList(command.split(" ")));
    args.addAll(List.of("-display", "none")); // no window on a test machine
    Process qemu =
        new ProcessBuilder(args)
            .directory(dir.toFile())
            .redirectInput(new File("/dev/null"))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("qemu.log").toFile())
            .start();
    try {
      Path qmp = dir.resolve("qmp.sock");
      long deadline = System.nanoTime() + T.toNanos();
      while (!Files.exists(qmp) && qemu.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(qemu.isAlive()).as(Files.readString(dir.resolve("qemu.log"))).isTrue();

      Run status = cpr(T, "status", "--qmp", qmp.toString());
      assertThat(status.exitCode()).as(status.toString()).isZero();
      assertThat(status.stdout()).contains("memory-backend-file  share=on  " + ram);

      Run check =
          cpr(
              T,
              "check",
              "--qmp",
              qmp.toString(),
              "--state",
              dir.resolve("vm.state").toString(),
              "--qga",
              dir.resolve("qga.sock").toString());
      assertThat(check.exitCode()).as(check.toString()).isZero();
      assertThat(check.stdout()).contains("RAM saved in place").doesNotContain("ERROR");
    } finally {
      qemu.destroyForcibly();
      qemu.waitFor(10, TimeUnit.SECONDS);
      Files.deleteIfExists(ram);
    }
  }
}

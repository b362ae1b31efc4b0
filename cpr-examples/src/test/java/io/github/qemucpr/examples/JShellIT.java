package io.github.qemucpr.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.examples.support.Processes;
import io.github.qemucpr.examples.support.Processes.Run;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the README's JShell command non-interactively, over a script that connects to a real QEMU
 * with the start-up script's helper and runs {@code query-status} through the SDK, and a generated
 * command ({@code query-cpus-fast}) as the README's walkthrough does.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class JShellIT {
  @TempDir Path dir;

  @Test
  void theStartupScriptConnectsAndRunsQueryStatus() throws Exception {
    try (QemuLauncher vm = QemuLauncher.builder().build();
        QemuInstance qemu = vm.start()) {
      Path script =
          Files.writeString(
              dir.resolve("status.jsh"),
              String.join(
                  "\n",
                  "var qmp = connect(\"" + qemu.qmpSocket() + "\");",
                  "System.out.println(\"STATUS \" + status(qmp));",
                  "System.out.println(\"MEMDEV \" + qmp.execute(new QueryMemdev()).get(0).share());",
                  // The generated surface, as the README's walkthrough types it.
                  "import io.github.qemucpr.qmp.qapi.machine.QueryCpusFast;",
                  "System.out.println(\"CPUS \" + qmp.execute(new QueryCpusFast()));",
                  "qmp.close();",
                  "/exit",
                  ""));
      Processes.cprJar(); // built by mvn package
      List<String> command = new ArrayList<>(Arrays.asList(Processes.JSHELL_COMMAND.split(" ")));
      command.set(0, Path.of(System.getProperty("java.home"), "bin", "jshell").toString());
      command.add(script.toString());

      Run run = Processes.run(command, Duration.ofMinutes(2));

      assertThat(run.exitCode()).as(run.toString()).isZero();
      assertThat(run.stdout())
          .as(run.toString())
          .contains("qemu-cpr-java is loaded")
          .contains("STATUS RunStatus[running=true, status=running]")
          .contains("MEMDEV true")
          // A readable record per CPU, with QEMU's names in Java spelling.
          .containsPattern(
              "CPUS \\[Other\\[target=x86_64, cpuIndex=0, qomPath=/machine/unattached/device\\[0\\],"
                  + " threadId=[0-9]+, props=CpuInstanceProperties\\[");
      assertThat(run.stderr()).as(run.toString()).doesNotContain("Error:");
    }
  }
}

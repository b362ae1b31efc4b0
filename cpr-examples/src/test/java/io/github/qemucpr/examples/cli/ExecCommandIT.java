package io.github.qemucpr.examples.cli;

import static io.github.qemucpr.examples.support.Processes.cpr;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.examples.support.Processes.Run;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.QueryQmpSchema;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code cpr exec}, run as {@code java -jar cpr.jar} against the real QEMU on {@code PATH}. Whether
 * it has cpr-exec comes from its schema: with it the VM runs on in the same process, without it the
 * command is refused with exit 3.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ExecCommandIT {
  private static final Duration T = Duration.ofSeconds(120);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @TempDir Path dir;

  private static QemuLauncher machineOnly() {
    return QemuLauncher.builder().memoryMiB(64).memfd().auxRamShare().build();
  }

  private static boolean hasCprExec(Path qmpSocket) {
    try (QmpClient qmp = QmpClient.connect(qmpSocket)) {
      return qmp.execute(new QueryQmpSchema())
          .enumValuesOfArgument("migrate-set-parameters", "mode")
          .orElse(List.of())
          .contains("cpr-exec");
    }
  }

  private static RunState runState(Path qmpSocket) {
    try (QmpClient qmp = QmpClient.connect(qmpSocket)) {
      return qmp.execute(new QueryStatus()).status();
    }
  }

  /** The running QEMU's binary, as an absolute path in its own root. */
  private static String binaryOf(long pid) throws IOException {
    String argv0 =
        new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8)
            .split("\0")[0];
    return argv0.startsWith("/")
        ? argv0
        : Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")).toString();
  }

  @Test
  void sameArgsRunsTheVmOnInTheSameProcessOrIsRefused() throws Exception {
    Path state = dir.resolve("exec.state");
    try (QemuLauncher vm = machineOnly();
        QemuInstance qemu = vm.start()) {
      boolean supported = hasCprExec(qemu.qmpSocket());
      Run run =
          cpr(
              T,
              "exec",
              "--qmp",
              qemu.qmpSocket().toString(),
              "--state",
              state.toString(),
              "--same-args",
              binaryOf(qemu.pid()),
              "--json");
      JsonNode report = JSON.readTree(run.stdout());
      assertThat(report.get("command").asString()).isEqualTo("exec");
      if (supported) {
        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode result = report.get("result");
        assertThat(result.get("processId").asLong()).isEqualTo(qemu.pid());
        assertThat(result.get("runState").asString()).isEqualTo("running");
        List<String> phases = new ArrayList<>();
        report.get("phases").forEach(p -> phases.add(p.get("phase").asString()));
        assertThat(phases)
            .containsExactly("PREFLIGHT", "PREPARE", "MIGRATE", "CONNECT_TARGET", "LOAD");
        assertThat(qemu.isAlive()).isTrue();
        assertThat(runState(qemu.qmpSocket())).isEqualTo(RunState.RUNNING);
        assertThat(state).doesNotExist();
      } else {
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(ExitStatus.REFUSED.code());
        assertThat(run.stdout()).contains("CPR_EXEC_UNSUPPORTED", "nothing was changed");
        assertThat(runState(qemu.qmpSocket())).isEqualTo(RunState.RUNNING);
      }
    }
  }

  @Test
  void aBinaryQemuCannotExecuteIsRefusedWithExit3() throws Exception {
    Path state = dir.resolve("exec.state");
    try (QemuLauncher vm = machineOnly();
        QemuInstance qemu = vm.start()) {
      List<String> args =
          new ArrayList<>(
              List.of(
                  "exec",
                  "--qmp",
                  qemu.qmpSocket().toString(),
                  "--state",
                  state.toString(),
                  "--",
                  "/nonexistent/qemu-system-x86_64"));
      args.addAll(qemu.commandLine().subList(1, qemu.commandLine().size()));
      Run run = cpr(T, args.toArray(String[]::new));
      assertThat(run.exitCode()).as(run.toString()).isEqualTo(ExitStatus.REFUSED.code());
      assertThat(run.stdout()).contains("EXEC_BINARY_UNUSABLE", "nothing was changed");
      assertThat(runState(qemu.qmpSocket())).isEqualTo(RunState.RUNNING);
      assertThat(state).doesNotExist();
    }
  }

  @Test
  void noNewCommandIsAUsageError() {
    Run run =
        cpr(
            T,
            "exec",
            "--qmp",
            dir.resolve("qmp.sock").toString(),
            "--state",
            dir.resolve("s").toString());
    assertThat(run.exitCode()).as(run.toString()).isEqualTo(ExitStatus.USAGE.code());
    assertThat(run.stdout() + run.stderr()).contains("--same-args");
  }
}

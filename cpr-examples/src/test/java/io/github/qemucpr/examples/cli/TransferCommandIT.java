package io.github.qemucpr.examples.cli;

import static io.github.qemucpr.examples.support.Processes.cpr;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.examples.support.Processes.Run;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunState;
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

/** {@code cpr transfer}, run as {@code java -jar cpr.jar} against real QEMU 10 processes. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TransferCommandIT {
  private static final Duration T = Duration.ofSeconds(120);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @TempDir Path dir;

  private static RunState runState(Path qmpSocket) {
    try (QmpClient qmp = QmpClient.connect(qmpSocket)) {
      return qmp.execute(new QueryStatus()).status();
    }
  }

  private Run transfer(QemuInstance source, QemuInstance target, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "transfer",
                "--qmp",
                source.qmpSocket().toString(),
                "--cpr-channel",
                dir.resolve("cpr.sock").toString(),
                "--main-channel",
                dir.resolve("main.sock").toString(),
                "--target-qmp",
                target.qmpSocket().toString()));
    args.addAll(List.of(more));
    return cpr(T, args.toArray(String[]::new));
  }

  @Test
  void aTransferMovesTheVmAndQuitsTheSource() {
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).memfd().auxRamShare().build();
        QemuInstance source = vm.start();
        QemuInstance target = vm.startCprTransferTarget(dir.resolve("cpr.sock"), null)) {
      Run run = transfer(source, target, "--quit-source", "--json");
      assertThat(run.exitCode()).as(run.toString()).isZero();
      JsonNode report = JSON.readTree(run.stdout());
      assertThat(report.get("command").asString()).isEqualTo("transfer");
      JsonNode result = report.get("result");
      assertThat(result.get("targetState").asString()).isEqualTo("running");
      assertThat(result.get("sourceQuit").asBoolean()).isTrue();
      assertThat(result.get("incomingDeferred").asBoolean()).isTrue();
      assertThat(result.get("blackoutExact").asBoolean()).isTrue();
      List<String> phases = new ArrayList<>();
      report.get("phases").forEach(p -> phases.add(p.get("phase").asString()));
      assertThat(phases)
          .containsExactly("PREFLIGHT", "PREPARE", "MIGRATE", "CONNECT_TARGET", "LOAD", "QUIT");
      assertThat(run.stderr()).contains("CONNECT_TARGET");
      assertThat(source.awaitExit(Duration.ofSeconds(30))).isZero();
      assertThat(runState(target.qmpSocket())).isEqualTo(RunState.RUNNING);
    }
  }

  @Test
  void withoutAuxRamShareItIsRefusedWithExit3() {
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).memfd().build();
        QemuInstance source = vm.start();
        QemuInstance target = vm.startCprTransferTarget(dir.resolve("cpr.sock"), null)) {
      Run run = transfer(source, target);
      assertThat(run.exitCode()).as(run.toString()).isEqualTo(ExitStatus.REFUSED.code());
      assertThat(run.stdout()).contains("AUX_RAM_SHARE_OFF", "nothing was changed");
      assertThat(runState(source.qmpSocket())).isEqualTo(RunState.RUNNING);
    }
  }

  @Test
  void aTargetThatIsGoneIsRolledBackWithExit4() {
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).memfd().auxRamShare().build();
        QemuInstance source = vm.start();
        QemuInstance target = vm.startCprTransferTarget(dir.resolve("cpr.sock"), null)) {
      target.kill9();
      Run run = transfer(source, target, "--json");
      assertThat(run.exitCode()).as(run.toString()).isEqualTo(ExitStatus.ROLLED_BACK.code());
      JsonNode error = JSON.readTree(run.stdout()).get("error");
      assertThat(error.get("type").asString()).isEqualTo("CprTransferException");
      assertThat(error.get("phase").asString()).isEqualTo("MIGRATE");
      assertThat(error.get("vmLocation").asString()).isEqualTo("SOURCE");
      assertThat(error.get("recovery").asString()).isEqualTo("RESTORED");
      assertThat(error.get("advice").asString()).contains("runs on in the old QEMU");
      assertThat(runState(source.qmpSocket())).isEqualTo(RunState.RUNNING);
    }
  }

  @Test
  void aMissingChannelIsAUsageError() {
    Run run =
        cpr(
            T,
            "transfer",
            "--qmp",
            dir.resolve("qmp.sock").toString(),
            "--main-channel",
            "m.sock",
            "--target-qmp",
            "t.sock");
    assertThat(run.exitCode()).as(run.toString()).isEqualTo(ExitStatus.USAGE.code());
    assertThat(run.stderr()).contains("--cpr-channel");
  }
}

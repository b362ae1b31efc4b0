package io.github.qemucpr.examples.cli;

import static io.github.qemucpr.examples.support.Processes.cpr;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.examples.support.Processes.Run;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.MigrateSetCapabilities;
import io.github.qemucpr.qmp.command.MigrationCapability;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.testing.TestGuestImage;
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

/** The {@code cpr} tool, run as {@code java -jar cpr.jar} against real QEMU 10 processes. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CprCliIT {
  private static final Duration T = Duration.ofSeconds(120);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @TempDir Path dir;

  private static JsonNode json(Run run) {
    assertThat(run.stdout()).as(run.toString()).startsWith("{");
    return JSON.readTree(run.stdout());
  }

  private static RunState runState(QemuInstance qemu) {
    try (QmpClient qmp = QmpClient.connect(qemu.qmpSocket())) {
      return qmp.execute(new QueryStatus()).status();
    }
  }

  private static String qemuVersion(QemuInstance qemu) {
    try (QmpClient qmp = QmpClient.connect(qemu.qmpSocket())) {
      return qmp.greeting().version().toString();
    }
  }

  private static List<String> phases(JsonNode report) {
    List<String> names = new ArrayList<>();
    report.get("phases").forEach(p -> names.add(p.get("phase").asString()));
    return names;
  }

  @Test
  void statusShowsTheVersionRunStateMigrationAndMemoryBackends() {
    try (QemuLauncher vm = QemuLauncher.builder().build();
        QemuInstance qemu = vm.start()) {
      String socket = qemu.qmpSocket().toString();
      String version = qemuVersion(qemu);

      Run text = cpr(T, "status", "--qmp", socket);
      assertThat(text.exitCode()).as(text.toString()).isZero();
      assertThat(text.stdout())
          .contains("QEMU        " + version)
          .contains("run state   running")
          .contains("migration   none, mode normal")
          .contains(
              "memory      ram0  64 MiB  memory-backend-file  share=on  "
                  + vm.memoryFile().orElseThrow());
      assertThat(text.stderr()).contains("connected to " + socket);

      Run json = cpr(T, "status", "--qmp", socket, "--json");
      assertThat(json.exitCode()).as(json.toString()).isZero();
      JsonNode report = json(json);
      assertThat(report.get("command").asString()).isEqualTo("status");
      assertThat(report.get("ok").asBoolean()).isTrue();
      JsonNode result = report.get("result");
      assertThat(result.get("qemuVersion").asString()).isEqualTo(version);
      assertThat(result.get("runState").asString()).isEqualTo("running");
      assertThat(result.get("migration").get("status").asString()).isEqualTo("none");
      JsonNode ram = result.get("memoryBackends").get(0);
      assertThat(ram.get("id").asString()).isEqualTo("ram0");
      assertThat(ram.get("share").asBoolean()).isTrue();
      assertThat(ram.get("sizeBytes").asLong()).isEqualTo(64L << 20);
      assertThat(ram.get("memPath").asString()).isEqualTo(vm.memoryFile().orElseThrow().toString());
    }
  }

  @Test
  void checkPassesForASharedFileVmAndListsEveryErrorOtherwise() throws Exception {
    try (QemuLauncher vm = QemuLauncher.builder().build();
        QemuInstance qemu = vm.start()) {
      String socket = qemu.qmpSocket().toString();

      Run ok = cpr(T, "check", "--qmp", socket, "--state", dir.resolve("vm.state").toString());
      assertThat(ok.exitCode()).as(ok.toString()).isZero();
      // The launcher keeps RAM in /dev/shm: fine for a new QEMU, lost by a host reboot.
      assertThat(ok.stdout())
          .contains("0 errors, 1 warning")
          .contains("MEMORY_LOST_ON_HOST_REBOOT")
          .contains("A save can start");

      try (QmpClient qmp = QmpClient.connect(qemu.qmpSocket())) {
        qmp.execute(MigrateSetCapabilities.enable(MigrationCapability.POSTCOPY_RAM));
      }
      Run bad =
          cpr(
              T,
              "check",
              "--qmp",
              socket,
              "--state",
              dir.resolve("missing/vm.state").toString(),
              "--json");
      assertThat(bad.exitCode()).as(bad.toString()).isEqualTo(3);
      JsonNode report = json(bad);
      assertThat(report.get("exitCode").asInt()).isEqualTo(3);
      assertThat(report.get("result").get("saveWouldRun").asBoolean()).isFalse();
      List<String> codes = new ArrayList<>();
      report.get("preflight").get("items").forEach(i -> codes.add(i.get("code").asString()));
      assertThat(codes).contains("CAPABILITY_INCOMPATIBLE", "STATE_DIRECTORY_MISSING");
      assertThat(runState(qemu)).isEqualTo(RunState.RUNNING);
    }
  }

  @Test
  void saveQuitsQemuAndRestoreBringsTheVmBackOnce() {
    Path state = dir.resolve("vm.state");
    try (QemuLauncher vm = QemuLauncher.builder().build()) {
      try (QemuInstance source = vm.start()) {
        Run save =
            cpr(
                T,
                "save",
                "--qmp",
                source.qmpSocket().toString(),
                "--state",
                state.toString(),
                "--json");
        assertThat(save.exitCode()).as(save.toString()).isZero();
        JsonNode report = json(save);
        JsonNode result = report.get("result");
        assertThat(result.get("stateFile").asString()).isEqualTo(state.toString());
        assertThat(result.get("memorySavedInPlace").asBoolean()).isTrue();
        assertThat(result.get("quit").asBoolean()).isTrue();
        assertThat(result.get("bytesWritten").asLong()).isEqualTo(state.toFile().length());
        assertThat(phases(report))
            .containsSubsequence("PREFLIGHT", "PREPARE", "MIGRATE", "PERSIST", "QUIT");
        assertThat(report.get("preflight").get("errors").asInt()).isZero();
        // Progress on stderr as each phase starts and ends, with elapsed times.
        assertThat(save.stderr())
            .containsPattern("\\[ *\\d+\\.\\d{3}s\\] MIGRATE +started")
            .containsPattern("MIGRATE +finished in [0-9.]+ (ms|s)");
        assertThat(source.awaitExit(Duration.ofSeconds(10))).isZero();
      }
      assertThat(state).isRegularFile();
      assertThat(dir.resolve("vm.state.json")).isRegularFile();

      try (QemuInstance target = vm.startIncoming()) {
        Run restore =
            cpr(T, "restore", "--qmp", target.qmpSocket().toString(), "--state", state.toString());
        assertThat(restore.exitCode()).as(restore.toString()).isZero();
        assertThat(restore.stdout())
            .contains("Restored " + state + ": the VM is running")
            .contains("Phases: VERIFY");
        assertThat(runState(target)).isEqualTo(RunState.RUNNING);

        // A second restore of the same checkpoint is refused before QEMU is touched.
        Run again =
            cpr(T, "restore", "--qmp", target.qmpSocket().toString(), "--state", state.toString());
        assertThat(again.exitCode()).as(again.toString()).isEqualTo(3);
        assertThat(again.stdout())
            .contains("was refused before QEMU was touched")
            .contains("What to do:")
            .contains("Add --force only if the VM never ran");
        assertThat(runState(target)).isEqualTo(RunState.RUNNING);
      }
    }
  }

  @Test
  void saveSuspendsTheGuestThroughItsAgentAndRestoreWakesIt() {
    Path state = dir.resolve("vm.state");
    try (QemuLauncher vm =
        QemuLauncher.builder().testGuest(guest().kernel(), guest().initramfs()).build()) {
      long before;
      try (QemuInstance source = vm.start()) {
        source.awaitHeartbeatAfter(1, Duration.ofSeconds(60));
        Run save =
            cpr(
                T,
                "save",
                "--qmp",
                source.qmpSocket().toString(),
                "--qga",
                source.qgaSocket().orElseThrow().toString(),
                "--suspend",
                "always",
                "--state",
                state.toString(),
                "--timeout",
                "60");
        assertThat(save.exitCode()).as(save.toString()).isZero();
        assertThat(save.stdout())
            .contains("was suspended to RAM first")
            .contains("Guest RAM stayed in place")
            .contains("QEMU quit.");
        assertThat(save.stderr()).contains("SUSPEND").contains("finished in");
        source.awaitExit(Duration.ofSeconds(10));
        before = source.lastHeartbeat().orElseThrow();
      }
      try (QemuInstance target = vm.startIncoming()) {
        Run restore =
            cpr(
                T,
                "restore",
                "--qmp",
                target.qmpSocket().toString(),
                "--state",
                state.toString(),
                "--json");
        assertThat(restore.exitCode()).as(restore.toString()).isZero();
        JsonNode result = json(restore).get("result");
        assertThat(result.get("runState").asString()).isEqualTo("running");
        assertThat(result.get("wokenUp").asBoolean()).isTrue();
        assertThat(result.get("outageMillis").asDouble()).isPositive();
        assertThat(target.awaitHeartbeatAfter(0, Duration.ofSeconds(15))).isGreaterThan(before);
      }
    }
  }

  @Test
  void aSaveRefusedByThePreflightExits3AndChangesNothing() {
    Path state = dir.resolve("vm.state");
    try (QemuLauncher vm = QemuLauncher.builder().build();
        QemuInstance qemu = vm.start()) {
      try (QmpClient qmp = QmpClient.connect(qemu.qmpSocket())) {
        qmp.execute(MigrateSetCapabilities.enable(MigrationCapability.POSTCOPY_RAM));
      }
      Run text = cpr(T, "save", "--qmp", qemu.qmpSocket().toString(), "--state", state.toString());
      assertThat(text.exitCode()).as(text.toString()).isEqualTo(3);
      assertThat(text.stdout())
          .contains("cpr save failed.")
          .contains("The preflight found 1 error; nothing was changed.")
          .contains("CAPABILITY_INCOMPATIBLE [postcopy-ram]")
          .contains("Fix: ")
          .contains("What to do: Apply the fixes above, then check again: cpr check --qmp");

      Run json =
          cpr(
              T,
              "save",
              "--qmp",
              qemu.qmpSocket().toString(),
              "--state",
              state.toString(),
              "--json");
      assertThat(json.exitCode()).as(json.toString()).isEqualTo(3);
      JsonNode report = json(json);
      assertThat(report.get("ok").asBoolean()).isFalse();
      assertThat(report.get("error").get("type").asString()).isEqualTo("CprPreflightException");
      assertThat(report.get("error").get("recovery").asString()).isEqualTo("UNTOUCHED");
      assertThat(report.get("preflight").get("items").get(0).get("code").asString())
          .isEqualTo("CAPABILITY_INCOMPATIBLE");

      assertThat(runState(qemu)).isEqualTo(RunState.RUNNING);
      assertThat(state).doesNotExist();
    }
  }

  @Test
  void aSaveThatFailsIsRolledBackAndExits4() throws Exception {
    // memfd RAM is copied into the state file, which a 1 MiB file system cannot hold.
    Path tiny = Files.createDirectory(dir.resolve("tiny"));
    mount(tiny, "size=1m,mode=0700");
    try (QemuLauncher vm =
            QemuLauncher.builder()
                .memfd()
                .testGuest(guest().kernel(), guest().initramfs())
                .build();
        QemuInstance qemu = vm.start()) {
      long before = qemu.awaitHeartbeatAfter(1, Duration.ofSeconds(60));
      Run save =
          cpr(
              T,
              "save",
              "--qmp",
              qemu.qmpSocket().toString(),
              "--state",
              tiny.resolve("vm.state").toString(),
              "--json");
      assertThat(save.exitCode()).as(save.toString()).isEqualTo(4);
      JsonNode error = json(save).get("error");
      assertThat(error.get("type").asString()).isEqualTo("CprSaveException");
      assertThat(error.get("recovery").asString()).isEqualTo("RESTORED");
      assertThat(error.get("vmState").asString()).isEqualTo("running");
      assertThat(error.get("qemuError").asString()).contains("No space left on device");
      assertThat(error.get("advice").asString())
          .contains("The VM runs on as before")
          .contains("free space");
      assertThat(save.stderr()).contains("rollback");

      assertThat(runState(qemu)).isEqualTo(RunState.RUNNING);
      assertThat(qemu.awaitHeartbeatAfter(before + 1, Duration.ofSeconds(30)))
          .isGreaterThan(before + 1);
      assertThat(tiny).isEmptyDirectory();
    } finally {
      new ProcessBuilder("umount", tiny.toString()).inheritIO().start().waitFor();
    }
  }

  @Test
  void aBadArgumentExits2WithTheReasonAndAHint() {
    Run suspend =
        cpr(
            T,
            "save",
            "--qmp",
            "/run/vm1/qmp.sock",
            "--state",
            "/tmp/vm.state",
            "--suspend",
            "sometimes");
    assertThat(suspend.exitCode()).as(suspend.toString()).isEqualTo(2);
    assertThat(suspend.stderr())
        .contains("'sometimes' is not one of auto, always, never")
        .contains("Try 'cpr save --help'");
    assertThat(suspend.stdout()).isEmpty();

    Run missing = cpr(T, "restore", "--state", "/tmp/vm.state");
    assertThat(missing.exitCode()).as(missing.toString()).isEqualTo(2);
    assertThat(missing.stderr()).contains("Missing required option: '--qmp=SOCKET'");
  }

  @Test
  void aMissingSocketExits1WithAdvice() {
    Run run = cpr(T, "status", "--qmp", dir.resolve("nowhere.sock").toString());
    assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
    assertThat(run.stdout())
        .contains("There is no QMP socket at " + dir.resolve("nowhere.sock"))
        .contains("What to do: Check the path, and that QEMU runs with -qmp unix:");
  }

  private static void mount(Path dir, String options) throws Exception {
    Process p =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as("mount needs root: " + out).isZero();
  }

  private static TestGuestImage guest() {
    return TestGuestImage.locateOrBuild();
  }
}

package io.github.qemucpr.api.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprRestoreResult;
import io.github.qemucpr.api.CprSaveResult;
import io.github.qemucpr.api.CprTransfer;
import io.github.qemucpr.api.CprTransferResult;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.RunState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The blackout of cpr-reboot and cpr-transfer side by side, for the same machine-only VM (256 MiB
 * in a shared file, q35, TCG), each run {@code cpr.measure.runs} times (default 10), medians
 * printed as {@code CPR-MEASURE} lines. A measurement, not a check: it runs only with {@code
 * -Dcpr.measure.runs=N}.
 */
@EnabledIfSystemProperty(named = "cpr.measure.runs", matches = "\\d+")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class BlackoutSideBySideIT {
  @TempDir Path dir;

  private static int runs() {
    return Integer.getInteger("cpr.measure.runs", 10);
  }

  private static QemuLauncher vm() {
    return QemuLauncher.builder().memoryMiB(256).auxRamShare().build();
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static double ms(Duration d) {
    return d.toNanos() / 1e6;
  }

  private static void print(String what, List<Double> values) {
    System.out.printf("CPR-MEASURE %-62s median %7.2f ms  (min %.2f, max %.2f, n=%d)%n", what,
        median(values), values.stream().mapToDouble(Double::doubleValue).min().orElse(0),
        values.stream().mapToDouble(Double::doubleValue).max().orElse(0), values.size());
  }

  @Test
  void cprRebootThenCprTransfer() throws Exception {
    List<Double> rebootBlackout = new ArrayList<>();
    List<Double> rebootOutage = new ArrayList<>();
    for (int i = 0; i < runs(); i++) {
      Path state = dir.resolve("vm" + i + ".state");
      try (QemuLauncher vm = vm()) {
        CprSaveResult saved;
        try (QemuInstance source = vm.start();
            QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
          saved = CprReboot.save(qmp).to(state).run();
          source.awaitExit(Duration.ofSeconds(30));
        }
        try (QemuInstance target = vm.startIncoming();
            QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
          CprRestoreResult restored = CprReboot.restore(qmp).from(state).run();
          assertThat(restored.runState()).isEqualTo(RunState.RUNNING);
          rebootBlackout.add(ms(saved.blackout()));
          rebootOutage.add(ms(restored.outage()));
        }
      }
    }

    List<Double> deferred = new ArrayList<>();
    List<Double> direct = new ArrayList<>();
    List<Double> sentToRunning = new ArrayList<>();
    for (int i = 0; i < runs(); i++) {
      for (boolean defer : new boolean[] {true, false}) {
        Path cpr = dir.resolve("cpr" + i + defer + ".sock");
        Path main = dir.resolve("main" + i + defer + ".sock");
        try (QemuLauncher vm = vm();
            QemuInstance source = vm.start();
            QmpClient qmp = QmpClient.connect(source.qmpSocket());
            QemuInstance target = vm.startCprTransferTarget(cpr, defer ? null : main)) {
          CprTransferResult r = CprTransfer.from(qmp).cprChannel(cpr).mainChannel(main)
              .targetQmp(target.qmpSocket()).run();
          try (QmpClient t = r.target()) {
            assertThat(r.targetState()).isEqualTo(RunState.RUNNING);
            if (defer) {
              assertThat(r.blackoutExact()).isTrue();
              deferred.add(ms(r.blackout()));
            } else {
              direct.add(ms(r.blackout()));
              sentToRunning.add(ms(r.duration(CprPhase.MIGRATE).plus(
                  r.duration(CprPhase.CONNECT_TARGET)).plus(r.duration(CprPhase.LOAD))));
            }
          }
        }
      }
    }
    System.out.println("CPR-MEASURE 256 MiB machine-only VM (shared file, q35, TCG), QEMU 10.0");
    print("cpr-reboot blackout (STOP -> state file safe)", rebootBlackout);
    print("cpr-reboot outage (STOP -> RESUME in the restarted QEMU)", rebootOutage);
    print("cpr-transfer blackout, -incoming defer (STOP -> RESUME, exact)", deferred);
    print("cpr-transfer blackout, -incoming unix: (STOP -> RESUME, bound)", direct);
    print("cpr-transfer migrate sent -> new QEMU seen running (unix:)", sentToRunning);
  }
}

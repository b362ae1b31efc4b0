package com.example.vmmanager;

import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprRestoreResult;
import io.github.qemucpr.api.CprSaveResult;
import io.github.qemucpr.api.PreflightReport;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.QueryStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A cpr-reboot save and restore of a machine-only VM, from a named module that requires only {@code
 * io.github.qemucpr.api} (and the launcher, to start QEMU): what a modular manager does. Prints one
 * line per step; exits 0 when the restored VM runs.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    Path stateFile = Path.of(args[0]);
    try (QemuLauncher vm = QemuLauncher.builder().name("module-path").build()) {
      try (QemuInstance qemu = vm.start();
          QmpClient qmp = QmpClient.connect(qemu.qmpSocket())) {
        System.out.println(
            "module "
                + QmpClient.class.getModule().getName()
                + " named="
                + QmpClient.class.getModule().isNamed());
        PreflightReport report = CprReboot.save(qmp).to(stateFile).check();
        System.out.println("preflight errors=" + report.errors().size());
        CprSaveResult saved = CprReboot.save(qmp).to(stateFile).run();
        System.out.println("saved inPlace=" + saved.memorySavedInPlace());
        qemu.awaitExit(Duration.ofSeconds(30));
      }
      System.out.println("manifest " + Files.exists(Path.of(stateFile + ".json")));
      try (QemuInstance qemu = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(qemu.qmpSocket())) {
        CprRestoreResult restored = CprReboot.restore(qmp).from(stateFile).run();
        System.out.println("restored " + restored.runState().wireName());
        System.out.println("status " + qmp.execute(new QueryStatus()).status().wireName());
      }
    }
  }
}

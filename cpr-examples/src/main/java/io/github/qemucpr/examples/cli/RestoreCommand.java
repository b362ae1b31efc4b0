package io.github.qemucpr.examples.cli;

import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprRestoreBuilder;
import io.github.qemucpr.api.CprRestoreResult;
import io.github.qemucpr.qmp.QmpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.node.ObjectNode;

/** {@code cpr restore}: loads a saved VM into a QEMU started with {@code -incoming defer}. */
@Command(
    name = "restore",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    header = "Restore a saved VM into a QEMU started with -incoming defer.",
    footer = "",
    description = {
      "Restore the VM saved in FILE into a new QEMU, started with the same arguments as the saved"
          + " one plus -incoming defer. Checks FILE against its manifest first, and refuses a"
          + " checkpoint that was already restored. Wakes a guest that the save suspended.",
      "",
      "Example: cpr restore --qmp /run/vm1/qmp.sock --state /var/lib/vm1/vm.state"
    },
    exitCodeListHeading = ExitStatus.HEADING,
    exitCodeList = {
      ExitStatus.LIST_0,
      ExitStatus.LIST_1,
      ExitStatus.LIST_2,
      ExitStatus.LIST_3,
      ExitStatus.LIST_4,
      ExitStatus.LIST_5
    })
final class RestoreCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions.Qmp qmp = new CommonOptions.Qmp();
  @Mixin CommonOptions.State state = new CommonOptions.State();

  @Option(
      names = "--no-wakeup",
      description =
          "Leave a guest that the save suspended suspended; wake it later with QMP"
              + " system_wakeup.")
  boolean noWakeup;

  @Option(
      names = "--force",
      description =
          "Restore a checkpoint that was already restored, or whose restore did not"
              + " finish. Only safe if the VM never ran from the earlier restore.")
  boolean force;

  @Mixin CommonOptions.Timeout timeout = new CommonOptions.Timeout();
  @Mixin CommonOptions.Json json = new CommonOptions.Json();

  @Override
  public Integer call() {
    Path stateFile = state.absolute();
    Report report =
        new Report("restore", json.json, spec.commandLine().getOut(), spec.commandLine().getErr())
            .target(qmp.socket, stateFile);
    try (QmpClient client = Connections.qmp(qmp.socket)) {
      report.step("connected to " + client.describePeer() + "; restoring " + stateFile);
      CprRestoreBuilder restore =
          CprReboot.restore(client).from(stateFile).progressListener(report.listener());
      if (noWakeup) {
        restore.wakeUpAfterRestore(false);
      }
      if (force) {
        restore.force(true);
      }
      if (timeout.seconds > 0) {
        restore.timeout(Duration.ofSeconds(timeout.seconds));
      }
      CprRestoreResult restored = restore.run();
      report.phaseDurations(restored.phaseDurations());
      ObjectNode r = Report.object();
      r.put("stateFile", restored.stateFile().toString());
      r.put(
          "manifestFile",
          restored.manifestFile() != null ? restored.manifestFile().toString() : null);
      r.put("markedRestored", restored.markedRestored());
      r.put("runState", restored.runState().toString());
      r.put("wokenUp", restored.wokenUp());
      r.put("outageMillis", restored.outage() != null ? Report.millis(restored.outage()) : null);
      r.put("totalMillis", Report.millis(restored.total()));
      String text =
          String.format(
              Locale.ROOT,
              "Restored %s: the VM is %s%s.%n%s total %s.",
              restored.stateFile(),
              restored.runState(),
              restored.wokenUp() ? " (woken from suspend)" : "",
              restored.outage() != null
                  ? "The VM did not run for "
                      + Report.format(restored.outage())
                      + " across save, restart and restore;"
                  : "",
              Report.format(restored.total()));
      if (restored.manifestFile() == null) {
        text += "\nWarning: there was no manifest, so the state file could not be verified.";
      } else if (!restored.markedRestored()) {
        text +=
            "\nWarning: the manifest "
                + restored.manifestFile()
                + " could not be marked"
                + " restored; its \"restore started\" mark still keeps the checkpoint from a second"
                + " restore.";
      }
      return report.success(r, text);
    } catch (RuntimeException e) {
      return report.failure(e);
    }
  }
}

package io.github.qemucpr.examples.cli;

import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprSaveBuilder;
import io.github.qemucpr.api.CprSaveResult;
import io.github.qemucpr.api.PreflightItem;
import io.github.qemucpr.api.SuspendPolicy;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qmp.QmpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.node.ObjectNode;

/** {@code cpr save}: saves the VM with cpr-reboot and quits QEMU. */
@Command(
    name = "save",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    header = "Save the VM with cpr-reboot into a state file, and quit QEMU.",
    footer = "",
    description = {
      "Save the VM with cpr-reboot into FILE (and its manifest FILE.json), then quit QEMU."
          + " Runs the preflight first and refuses to start on any error; a save that fails"
          + " after it started is rolled back, and the VM runs on.",
      "",
      "Afterwards start QEMU with the same arguments plus -incoming defer, and run cpr restore.",
      "",
      "Example: cpr save --qmp /run/vm1/qmp.sock --state /var/lib/vm1/vm.state"
          + " --qga /run/vm1/qga.sock"
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
final class SaveCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions.Qmp qmp = new CommonOptions.Qmp();
  @Mixin CommonOptions.State state = new CommonOptions.State();

  @Option(
      names = "--qga",
      paramLabel = "SOCKET",
      description = "The guest agent's socket, to suspend the guest to RAM first.")
  @Nullable Path qga;

  @Option(
      names = "--suspend",
      paramLabel = "auto|always|never",
      converter = CommonOptions.SuspendPolicyConverter.class,
      description =
          "Suspend the guest to RAM through its agent before saving: auto (the"
              + " default) when VFIO devices are present, always, or never.")
  @Nullable SuspendPolicy suspend;

  @Option(
      names = "--no-quit",
      description =
          "Leave QEMU running in postmigrate after the save, instead of quitting it."
              + " Resuming it there makes the checkpoint stale.")
  boolean noQuit;

  @Mixin CommonOptions.Timeout timeout = new CommonOptions.Timeout();
  @Mixin CommonOptions.Json json = new CommonOptions.Json();

  @Override
  public Integer call() {
    Path stateFile = state.absolute();
    Report report =
        new Report("save", json.json, spec.commandLine().getOut(), spec.commandLine().getErr())
            .target(qmp.socket, stateFile);
    try (QmpClient client = Connections.qmp(qmp.socket);
        GuestAgentClient agent = qga != null ? Connections.agent(qga) : null) {
      report.step("connected to " + client.describePeer() + "; saving to " + stateFile);
      CprSaveBuilder save =
          CprReboot.save(client).to(stateFile).progressListener(report.listener());
      if (agent != null) {
        save.guestAgent(agent);
      }
      if (suspend != null) {
        save.suspendPolicy(suspend);
      }
      if (noQuit) {
        save.quitAfterSave(false);
      }
      if (timeout.seconds > 0) {
        save.timeout(Duration.ofSeconds(timeout.seconds));
      }
      CprSaveResult saved = save.run();
      report.preflight(saved.preflight());
      report.phaseDurations(saved.phaseDurations());
      return report.success(json(saved), text(saved));
    } catch (RuntimeException e) {
      return report.failure(e);
    }
  }

  private static ObjectNode json(CprSaveResult saved) {
    ObjectNode r = Report.object();
    r.put("stateFile", saved.stateFile().toString());
    r.put("manifestFile", saved.manifestFile().toString());
    r.put("bytesWritten", saved.bytesWritten());
    r.put("sha256", saved.sha256());
    r.put("blackoutMillis", Report.millis(saved.blackout()));
    r.put(
        "qemuDowntimeMillis",
        saved.qemuDowntime() != null ? Report.millis(saved.qemuDowntime()) : null);
    r.put("memorySavedInPlace", saved.memorySavedInPlace());
    r.put("suspendedByUs", saved.suspendedByUs());
    r.put("runStateBefore", saved.runStateBefore().toString());
    r.put("quit", saved.quit());
    r.put("totalMillis", Report.millis(saved.total()));
    return r;
  }

  private String text(CprSaveResult saved) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "Saved %s (%d bytes, sha256 %s) and its manifest %s.%n",
            saved.stateFile(),
            saved.bytesWritten(),
            saved.sha256(),
            saved.manifestFile()));
    sb.append(
        saved.memorySavedInPlace()
            ? "Guest RAM stayed in place in its shared memory file (x-ignore-shared)."
            : "Guest RAM was copied into the state file (it is not a shared memory-backend-file).");
    sb.append(
        String.format(
            Locale.ROOT,
            "%nThe VM was %s%s; blackout %s%s; total %s.%n",
            saved.runStateBefore(),
            saved.suspendedByUs() ? " and was suspended to RAM first" : "",
            Report.format(saved.blackout()),
            saved.qemuDowntime() != null
                ? " (QEMU's own downtime " + Report.format(saved.qemuDowntime()) + ")"
                : "",
            Report.format(saved.total())));
    for (PreflightItem warning : saved.preflight().warnings()) {
      sb.append("Warning: ").append(warning).append(System.lineSeparator());
    }
    if (saved.quit()) {
      sb.append("QEMU quit. Next: start QEMU with the same arguments plus -incoming defer, then")
          .append(System.lineSeparator())
          .append("  cpr restore --qmp NEW_SOCKET --state ")
          .append(saved.stateFile());
    } else {
      sb.append(
          "QEMU still runs, in postmigrate (--no-quit): quit it before restoring, and do"
              + " not resume it (cont) unless you delete the checkpoint.");
    }
    return sb.toString();
  }
}

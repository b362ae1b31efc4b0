package io.github.qemucpr.examples.cli;

import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprSaveBuilder;
import io.github.qemucpr.api.PreflightReport;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qmp.QmpClient;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.node.ObjectNode;

/** {@code cpr check}: the preflight of a save, every problem at once. Changes nothing. */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    header = "Check whether a save can run: every problem, with its fix.",
    footer = "",
    description = {
      "Run the preflight of a save and list every problem found, each with its fix. Changes"
          + " nothing.",
      "",
      "Example: cpr check --qmp /run/vm1/qmp.sock --state /var/lib/vm1/vm.state"
          + " --qga /run/vm1/qga.sock"
    },
    exitCodeListHeading = ExitStatus.HEADING,
    exitCodeList = {ExitStatus.LIST_0, ExitStatus.LIST_1, ExitStatus.LIST_2, ExitStatus.LIST_3})
final class CheckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions.Qmp qmp = new CommonOptions.Qmp();
  @Mixin CommonOptions.State state = new CommonOptions.State();

  @Option(
      names = "--qga",
      paramLabel = "SOCKET",
      description = "The guest agent's socket, needed when the guest must be suspended (VFIO).")
  @Nullable Path qga;

  @Mixin CommonOptions.Json json = new CommonOptions.Json();

  @Override
  public Integer call() {
    Path stateFile = state.absolute();
    Report report =
        new Report("check", json.json, spec.commandLine().getOut(), spec.commandLine().getErr())
            .target(qmp.socket, stateFile);
    try (QmpClient client = Connections.qmp(qmp.socket);
        GuestAgentClient agent = qga != null ? Connections.agent(qga) : null) {
      report.step("connected to " + client.describePeer() + "; checking a save to " + stateFile);
      CprSaveBuilder save = CprReboot.save(client).to(stateFile);
      if (agent != null) {
        save.guestAgent(agent);
      }
      PreflightReport preflight = save.check();
      report.preflight(preflight);
      ObjectNode result = Report.object();
      result.put("stateFile", stateFile.toString());
      result.put("saveWouldRun", !preflight.hasErrors());
      if (preflight.hasErrors()) {
        report.step("the preflight found " + preflight.errors().size() + " error(s)");
        return report.outcome(
            ExitStatus.REFUSED,
            result,
            preflight
                + "\n\nA save would be"
                + " refused; nothing was changed. Apply the fixes above and check again.");
      }
      report.step("no errors");
      return report.success(
          result,
          preflight
              + "\n\nA save can start: cpr save --qmp "
              + qmp.socket
              + " --state "
              + stateFile
              + (qga != null ? " --qga " + qga : ""));
    } catch (RuntimeException e) {
      return report.failure(e);
    }
  }
}

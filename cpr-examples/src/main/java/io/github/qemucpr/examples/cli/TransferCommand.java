package io.github.qemucpr.examples.cli;

import io.github.qemucpr.api.CprTransfer;
import io.github.qemucpr.api.CprTransferBuilder;
import io.github.qemucpr.api.CprTransferResult;
import io.github.qemucpr.api.PreflightItem;
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

/** {@code cpr transfer}: moves the VM into a new QEMU that already runs, with cpr-transfer. */
@Command(
    name = "transfer",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    header = "Move the VM into a new QEMU, started beside the old one, with cpr-transfer.",
    footer = "",
    description = {
      "Move the VM from the QEMU behind --qmp into a new QEMU (QEMU 10.0+) that already runs with"
          + " the same arguments plus -incoming '{\"channel-type\":\"cpr\",\"addr\":{\"transport\":"
          + "\"socket\",\"type\":\"unix\",\"path\":\"CPR\"}}' and -incoming defer (or -incoming"
          + " unix:MAIN). Guest RAM is handed over, not copied; both QEMUs need shared RAM and"
          + " -machine aux-ram-share=on. Runs the preflight first and refuses to start on any"
          + " error; a transfer that fails is rolled back so that the VM runs on in the old QEMU"
          + " whenever that is safe.",
      "",
      "The old QEMU stays in postmigrate unless --quit-source: quit it once the new one is"
          + " checked, and never resume it.",
      "",
      "Example: cpr transfer --qmp /run/vm1/qmp.sock --cpr-channel /run/vm1/cpr.sock"
          + " --main-channel /run/vm1/main.sock --target-qmp /run/vm1/qmp-new.sock"
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
final class TransferCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions.Qmp qmp = new CommonOptions.Qmp();

  @Option(
      names = "--cpr-channel",
      paramLabel = "PATH",
      required = true,
      description = "The Unix socket of the new QEMU's cpr -incoming, where it waits.")
  Path cprChannel = Path.of("");

  @Option(
      names = "--main-channel",
      paramLabel = "PATH",
      required = true,
      description =
          "The Unix socket of the main migration channel (the new QEMU's -incoming"
              + " unix:PATH, or sent with migrate-incoming when it was started with -incoming"
              + " defer).")
  Path mainChannel = Path.of("");

  @Option(
      names = "--target-qmp",
      paramLabel = "PATH",
      required = true,
      description =
          "The new QEMU's QMP socket; it appears once the new QEMU read the cpr" + " channel.")
  Path targetQmp = Path.of("");

  @Option(
      names = "--quit-source",
      description = "Quit the old QEMU once the new one is confirmed to run the VM.")
  boolean quitSource;

  @Mixin CommonOptions.Timeout timeout = new CommonOptions.Timeout();
  @Mixin CommonOptions.Json json = new CommonOptions.Json();

  @Override
  public Integer call() {
    Path cpr = absolute(cprChannel);
    Path main = absolute(mainChannel);
    Path target = absolute(targetQmp);
    Report report =
        new Report("transfer", json.json, spec.commandLine().getOut(), spec.commandLine().getErr())
            .target(qmp.socket, null);
    try (QmpClient client = Connections.qmp(qmp.socket)) {
      report.step("connected to " + client.describePeer() + "; moving the VM to " + target);
      CprTransferBuilder transfer =
          CprTransfer.from(client)
              .cprChannel(cpr)
              .mainChannel(main)
              .targetQmp(target)
              .quitSourceAfterTransfer(quitSource)
              .progressListener(report.listener());
      if (timeout.seconds > 0) {
        transfer.timeout(Duration.ofSeconds(timeout.seconds));
      }
      CprTransferResult moved = transfer.run();
      moved.target().close(); // the tool is done with the new QEMU; it runs on
      report.preflight(moved.preflight());
      report.phaseDurations(moved.phaseDurations());
      return report.success(json(moved), text(moved, target));
    } catch (RuntimeException e) {
      return report.failure(e);
    }
  }

  private static Path absolute(Path p) {
    return p.toAbsolutePath().normalize();
  }

  private static ObjectNode json(CprTransferResult r) {
    ObjectNode o = Report.object();
    o.put("targetState", r.targetState().toString());
    o.put("sourceState", r.sourceState().toString());
    o.put("blackoutMillis", Report.millis(r.blackout()));
    o.put("blackoutExact", r.blackoutExact());
    o.put("qemuDowntimeMillis", r.qemuDowntime() != null ? Report.millis(r.qemuDowntime()) : null);
    o.put("incomingDeferred", r.incomingDeferred());
    o.put("sourceQuit", r.sourceQuit());
    o.put("totalMillis", Report.millis(r.total()));
    return o;
  }

  private String text(CprTransferResult r, Path target) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "The VM is %s in the new QEMU (%s); blackout %s%s%s;" + " total %s.%n",
            r.targetState(),
            target,
            r.blackoutExact() ? "" : "at most ",
            Report.format(r.blackout()),
            r.qemuDowntime() != null
                ? " (QEMU's own downtime " + Report.format(r.qemuDowntime()) + ")"
                : "",
            r.incomingDeferred() ? ", after migrate-incoming on its deferred -incoming" : "",
            Report.format(r.total())));
    for (PreflightItem warning : r.preflight().warnings()) {
      sb.append("Warning: ").append(warning).append(System.lineSeparator());
    }
    sb.append(
        r.sourceQuit()
            ? "The old QEMU quit."
            : "The old QEMU ("
                + qmp.socket
                + ") stays in postmigrate: quit it (QMP quit) once the"
                + " new one is checked, and never resume it.");
    return sb.toString();
  }
}

package io.github.qemucpr.examples.cli;

import io.github.qemucpr.api.CprExec;
import io.github.qemucpr.api.CprExecBuilder;
import io.github.qemucpr.api.CprExecResult;
import io.github.qemucpr.api.PreflightItem;
import io.github.qemucpr.api.internal.cmdline.QemuArgs;
import io.github.qemucpr.qmp.QmpClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.node.ObjectNode;

/** {@code cpr exec}: runs a new QEMU binary under the VM, in the same process, with cpr-exec. */
@Command(
    name = "exec",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    header = "Update QEMU under the VM in the same process, with cpr-exec (QEMU 10.2+).",
    footer = "",
    description = {
      "QEMU behind --qmp saves the device state to FILE, then executes NEW_QEMU_ARGV in the same"
          + " process, which loads FILE and runs the VM on; guest RAM stays in place (shared"
          + " memory). NEW_QEMU_ARGV is the new QEMU's whole command line, binary first (an"
          + " absolute path as QEMU sees it), with the same arguments and no -incoming: cpr adds"
          + " the one that loads FILE. QEMU needs shared RAM and -machine aux-ram-share=on. The"
          + " preflight runs first and refuses (exit 3) a QEMU without cpr-exec, or a binary QEMU"
          + " could not execute, before anything is touched. On success the VM runs in the same"
          + " process and answers again on SOCKET, and FILE is deleted.",
      "",
      "Example: cpr exec --qmp /run/vm1/qmp.sock --state /var/lib/vm1/exec.state --"
          + " /usr/bin/qemu-system-x86_64 -machine q35,aux-ram-share=on ...",
      "    or: cpr exec --qmp /run/vm1/qmp.sock --state /var/lib/vm1/exec.state"
          + " --same-args /usr/bin/qemu-system-x86_64"
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
final class ExecCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions.Qmp qmp = new CommonOptions.Qmp();

  @Option(
      names = "--state",
      paramLabel = "FILE",
      required = true,
      description =
          "The state file: a new file, which the new QEMU reads by its path and cpr"
              + " deletes once the VM runs on.")
  Path state = Path.of("");

  @Option(
      names = "--same-args",
      paramLabel = "BINARY",
      description =
          "Instead of NEW_QEMU_ARGV: run BINARY with the running QEMU's own arguments"
              + " (from /proc/PID/cmdline, without its -incoming and -daemonize).")
  @Nullable String sameArgs;

  @Parameters(
      paramLabel = "NEW_QEMU_ARGV",
      arity = "0..*",
      description = "The new QEMU's command line, after --, binary first.")
  List<String> argv = new ArrayList<>();

  @Mixin CommonOptions.Timeout timeout = new CommonOptions.Timeout();
  @Mixin CommonOptions.Json json = new CommonOptions.Json();

  @Override
  public Integer call() {
    Path stateFile = state.toAbsolutePath().normalize();
    Report report =
        new Report("exec", json.json, spec.commandLine().getOut(), spec.commandLine().getErr())
            .target(qmp.socket, stateFile);
    QmpClient client = null;
    try {
      if ((sameArgs == null) == argv.isEmpty()) {
        throw new CliException(
            ExitStatus.USAGE,
            sameArgs == null
                ? "no new command line: give NEW_QEMU_ARGV after --, or --same-args" + " BINARY"
                : "give either --same-args or NEW_QEMU_ARGV, not both",
            "cpr exec --qmp SOCKET --state FILE -- /usr/bin/qemu-system-x86_64 ARGS...",
            null);
      }
      if (!argv.isEmpty()) {
        checkNewCommandLine(argv);
      }
      client = Connections.qmp(qmp.socket);
      List<String> command = sameArgs != null ? sameArguments(client, sameArgs) : argv;
      report.step(
          "connected to " + client.describePeer() + "; QEMU will execute " + command.get(0));
      CprExecBuilder exec =
          CprExec.of(client)
              .newCommand(command)
              .stateFile(stateFile)
              .progressListener(report.listener());
      if (timeout.seconds > 0) {
        exec.timeout(Duration.ofSeconds(timeout.seconds));
      }
      CprExecResult done = exec.run();
      done.client().close(); // the tool is done; the VM runs on in the same process
      report.preflight(done.preflight());
      report.phaseDurations(done.phaseDurations());
      return report.success(json(done), text(done));
    } catch (RuntimeException e) {
      return report.failure(e);
    } finally {
      if (client != null) {
        client.close();
      }
    }
  }

  /**
   * Refuses, as a usage error and before anything is touched, a NEW_QEMU_ARGV the exec could not
   * take: a binary that is not an absolute path, or an {@code -incoming} of the user's own (QEMU
   * takes {@code --incoming} too).
   */
  private static void checkNewCommandLine(List<String> command) {
    String usage = "cpr exec --qmp SOCKET --state FILE -- /usr/bin/qemu-system-x86_64 ARGS...";
    if (!command.get(0).startsWith("/")) {
      throw new CliException(
          ExitStatus.USAGE,
          "NEW_QEMU_ARGV must start with the binary's absolute path, as QEMU sees it: "
              + command.get(0),
          usage,
          null);
    }
    // As QEMU reads it: "-name -incoming" names the VM, and is no -incoming.
    for (QemuArgs.Option incoming : QemuArgs.parse(command).options("incoming")) {
      throw new CliException(
          ExitStatus.USAGE,
          "NEW_QEMU_ARGV has "
              + incoming.spelling()
              + ": leave it out, cpr adds the one that loads the state file",
          usage,
          null);
    }
  }

  /**
   * The running QEMU's arguments, without its -incoming and its -daemonize (the process is already
   * in the background, and cpr-exec keeps it), after {@code binary}.
   */
  private static List<String> sameArguments(QmpClient client, String binary) {
    OptionalLong pid = client.peerProcessId();
    if (pid.isEmpty()) {
      throw new CliException(
          ExitStatus.ERROR,
          "the QEMU process behind "
              + client.describePeer()
              + " is not known, so its arguments cannot be read",
          "Give the new command line after -- instead of --same-args.",
          null);
    }
    byte[] raw;
    try {
      raw = Files.readAllBytes(Path.of("/proc/" + pid.getAsLong() + "/cmdline"));
    } catch (IOException e) {
      throw new CliException(
          ExitStatus.ERROR,
          "cannot read the arguments of QEMU (pid " + pid.getAsLong() + "): " + e.getMessage(),
          "Run cpr as QEMU's user or as root, or give the new command line after --.",
          e);
    }
    List<String> args = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == 0) {
        args.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
        start = i + 1;
      }
    }
    if (args.isEmpty()) {
      throw new CliException(
          ExitStatus.ERROR,
          "QEMU (pid " + pid.getAsLong() + ") shows no command line: it may have just exited",
          "Give the new command line after -- instead of --same-args.",
          null);
    }
    return sameCommand(binary, args);
  }

  /**
   * {@code binary}, then the running QEMU's arguments {@code args} (its own binary first) without
   * -incoming and its value and without -daemonize, in either spelling, read as QEMU reads them: a
   * value that looks like one of them (a VM named "-incoming") is kept.
   */
  static List<String> sameCommand(String binary, List<String> args) {
    List<String> command = new ArrayList<>(List.of(binary));
    List<String> kept = QemuArgs.parse(args).without(Set.of("incoming", "daemonize"));
    command.addAll(kept.subList(1, kept.size()));
    return command;
  }

  private static ObjectNode json(CprExecResult r) {
    ObjectNode o = Report.object();
    o.put("runState", r.runState().toString());
    o.put("processId", r.processId());
    o.put("versionBefore", r.versionBefore().toString());
    o.put("versionAfter", r.versionAfter().toString());
    o.put("blackoutMillis", Report.millis(r.blackout()));
    o.put("blackoutExact", r.blackoutExact());
    o.put("monitorGapMillis", Report.millis(r.monitorGap()));
    o.put("totalMillis", Report.millis(r.total()));
    return o;
  }

  private String text(CprExecResult r) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "The VM is %s in QEMU %s, the same process (pid %d),"
                + " which answers again on %s; blackout %s%s; total %s.%n",
            r.runState(),
            r.versionAfter(),
            r.processId(),
            qmp.socket,
            r.blackoutExact() ? "" : "at most ",
            Report.format(r.blackout()),
            Report.format(r.total())));
    for (PreflightItem warning : r.preflight().warnings()) {
      sb.append("Warning: ").append(warning).append(System.lineSeparator());
    }
    return sb.toString().strip();
  }
}

package io.github.qemucpr.examples.cli;

import io.github.qemucpr.examples.demo.CprDemo;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cpr demo}: the one-command demo. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    header = "Watch a running Linux guest move to a new QEMU (about 10 s).",
    footer = "",
    description = {
      "Boot a little Linux guest under QEMU (TCG), show its boot id and heartbeat, suspend it"
          + " through its agent, save it with cpr-reboot, quit QEMU, start a new QEMU, restore and"
          + " wake the guest, and show the same boot id and a heartbeat that went on counting,"
          + " with a timeline of the blackout. Needs QEMU 10 and the test guest: scripts/demo.sh"
          + " installs both.",
    },
    exitCodeListHeading = ExitStatus.HEADING,
    exitCodeList = {
      ExitStatus.LIST_0,
      "1:the demo failed; the message says why",
      ExitStatus.LIST_2
    })
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--keep",
      description =
          "Leave the restored VM running with its files, and print how to look at it"
              + " and how to stop it.")
  boolean keep;

  @Override
  public Integer call() {
    try {
      new CprDemo(spec.commandLine().getOut(), keep).run();
      return ExitStatus.OK.code();
    } catch (RuntimeException e) {
      Advice advice = Advice.of(e, null, null);
      spec.commandLine().getErr().println("cpr demo failed: " + advice.what());
      spec.commandLine().getErr().println("What to do: " + advice.todo());
      spec.commandLine().getErr().flush();
      return ExitStatus.ERROR.code();
    }
  }
}

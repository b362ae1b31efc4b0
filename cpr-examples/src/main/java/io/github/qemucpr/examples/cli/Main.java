package io.github.qemucpr.examples.cli;

import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code cpr} command-line tool: {@code java -jar cpr-examples/target/cpr.jar COMMAND ...}.
 *
 * <pre>
 * cpr status  --qmp SOCKET [--json]
 * cpr check   --qmp SOCKET --state FILE [--qga SOCKET] [--json]
 * cpr save    --qmp SOCKET --state FILE [--qga SOCKET] [--suspend auto|always|never] [--no-quit]
 *             [--timeout SECONDS] [--json]
 * cpr restore --qmp SOCKET --state FILE [--no-wakeup] [--force] [--timeout SECONDS] [--json]
 * cpr transfer --qmp SOCKET --cpr-channel PATH --main-channel PATH --target-qmp PATH
 *             [--quit-source] [--timeout SECONDS] [--json]
 * cpr exec    --qmp SOCKET --state FILE [--timeout SECONDS] [--json]
 *             (-- NEW_QEMU_ARGV... | --same-args BINARY)
 * cpr demo    [--keep]
 * </pre>
 *
 * <p>The exit codes are those of {@link ExitStatus}.
 */
@Command(
    name = "cpr",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    footer = "",
    description = {
      "Save a running QEMU VM with cpr-reboot and restore it into a new QEMU process, to update"
          + " QEMU or reboot the host kernel under it; or move it into a new QEMU that runs"
          + " beside the old one with cpr-transfer; or run a new QEMU binary under it in the same"
          + " process with cpr-exec. Start with: cpr demo",
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
public final class Main implements Runnable {
  @Spec CommandSpec spec;

  /** For picocli. */
  public Main() {}

  /**
   * The SDK's own log (java.util.logging through System.Logger): its warnings repeat what the
   * progress lines say, so the tool keeps it quiet. A strong reference, or the setting is lost.
   */
  private static final Logger SDK_LOG = Logger.getLogger("io.github.qemucpr");

  /** Runs the tool and exits with its exit code. */
  public static void main(String[] args) {
    SDK_LOG.setLevel(Level.OFF);
    System.exit(execute(System.out, System.err, args));
  }

  /**
   * Runs the tool without exiting.
   *
   * @return the exit code, one of {@link ExitStatus}
   */
  public static int execute(PrintStream out, PrintStream err, String... args) {
    return commandLine(
            new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true),
            new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true),
            args.length > 0 ? args[0] : "")
        .execute(args);
  }

  /** The configured picocli command line, for running and for checking command lines. */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    return commandLine(out, err, "");
  }

  /**
   * The command line with only the subcommand named {@code first}, when it names one, else with all
   * of them. picocli reads every subcommand's annotations by reflection when it builds the model;
   * {@code cpr status} has no use for the other six, and building them cost about 8% of its
   * start-up CPU time (issue 14). A mistyped name, {@code cpr --help} and {@code cpr help} get them
   * all, for the list and the suggestions.
   */
  private static CommandLine commandLine(PrintWriter out, PrintWriter err, String first) {
    CommandLine cl = new CommandLine(new Main());
    Object only = "help".equals(first) ? null : subcommand(first);
    if (only != null) {
      cl.addSubcommand(first, only);
    } else {
      for (String name : SUBCOMMANDS) {
        cl.addSubcommand(name, subcommand(name));
      }
    }
    cl.setOut(out);
    cl.setErr(err);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setParameterExceptionHandler(Main::usageError);
    cl.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          // The commands report their own failures; this catches what slipped through.
          Advice advice = Advice.of(e, null, null);
          cmd.getErr().println("cpr: " + advice.what());
          cmd.getErr().println("What to do: " + advice.todo());
          cmd.getErr().flush();
          return advice.status().code();
        });
    return cl;
  }

  /** The subcommands, in the order of the help. */
  private static final String[] SUBCOMMANDS = {
    "status", "check", "save", "restore", "transfer", "exec", "demo", "help"
  };

  private static @Nullable Object subcommand(String name) {
    return switch (name) {
      case "status" -> new StatusCommand();
      case "check" -> new CheckCommand();
      case "save" -> new SaveCommand();
      case "restore" -> new RestoreCommand();
      case "transfer" -> new TransferCommand();
      case "exec" -> new ExecCommand();
      case "demo" -> new DemoCommand();
      case "help" -> new CommandLine.HelpCommand();
      default -> null;
    };
  }

  /** {@code cpr} alone: the list of commands, and a usage error. */
  @Override
  public void run() {
    throw new ParameterException(
        spec.commandLine(),
        "Missing a command: status, check, save," + " restore, transfer, exec or demo");
  }

  private static int usageError(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println("cpr: " + e.getMessage());
    if (!UnmatchedArgumentException.printSuggestions(e, err)) {
      err.println();
      err.print("Usage: " + cmd.getHelp().synopsis(0));
      if (cmd.getCommandSpec().userObject() instanceof Main) {
        err.print(cmd.getHelp().commandList());
      }
    }
    err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more.");
    err.flush();
    return ExitStatus.USAGE.code();
  }

  /** The version from the jar's manifest. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {
        "cpr "
            + (v != null ? v : "(development build)")
            + ", qemu-cpr-java; Java "
            + System.getProperty("java.version")
      };
    }
  }
}

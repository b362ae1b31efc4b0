package io.github.qemucpr.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.github.qemucpr.examples.cli.ExitStatus;
import io.github.qemucpr.examples.cli.Main;
import io.github.qemucpr.examples.support.Processes;
import io.github.qemucpr.examples.support.Readme;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The README stays true: every command in its {@code sh} blocks is one that a script or a test
 * runs, or that the tool parses; its Java blocks compile; its tables match the code.
 */
class ReadmeTest {
  private static final String CPR = Processes.CPR_COMMAND + " ";
  private static final String EXAMPLE = Processes.EXAMPLE_COMMAND + " ";

  @TempDir Path dir;

  private static CommandLine cpr() {
    StringWriter sink = new StringWriter();
    return Main.commandLine(new PrintWriter(sink), new PrintWriter(sink));
  }

  @Test
  void theTwoCommandsComeFirstTheDemoThenTheTests() {
    List<String> commands = Readme.shellCommands();
    assertThat(commands).startsWith("scripts/demo.sh", "scripts/test.sh");
  }

  @Test
  void everyShellCommandIsOneThatTheScriptsOrTestsRun() throws Exception {
    List<String> commands = Readme.shellCommands();
    assertThat(commands).isNotEmpty();
    for (String command : commands) {
      if (command.startsWith("scripts/")) {
        Path script = Readme.file(command.split(" ")[0]);
        assertThat(script).as(command).isRegularFile().isExecutable();
      } else if (command.startsWith(CPR)) {
        String[] args = command.substring(CPR.length()).split(" ");
        try {
          cpr().parseArgs(args);
        } catch (CommandLine.ParameterException e) {
          fail("the README's command does not parse: " + command + ": " + e.getMessage());
        }
      } else if (command.startsWith(EXAMPLE)) {
        Class<?> example = Class.forName(command.substring(EXAMPLE.length()).strip());
        Method main = example.getMethod("main", String[].class);
        assertThat(Modifier.isStatic(main.getModifiers())).as(command).isTrue();
        assertThat(example.getPackageName()).isEqualTo("io.github.qemucpr.examples");
      } else if (command.startsWith("jshell ")) {
        assertThat(command).as("JShellIT runs this command").isEqualTo(Processes.JSHELL_COMMAND);
        assertThat(Readme.file("cpr-examples/jshell/cpr.jsh")).isRegularFile();
      } else if (command.startsWith("qemu-system-x86_64 ")) {
        assertThat(command)
            .as("ReadmeVmSetupIT runs this command")
            .contains("-qmp unix:/run/vm1/qmp.sock,server=on,wait=off");
      } else {
        fail(
            "a README command that no test checks: "
                + command
                + " (teach ReadmeTest what runs it)");
      }
    }
  }

  @Test
  void theDemoScriptInstallsWhatIsMissingBuildsTheJarAndRunsTheDemo() throws Exception {
    String script = Files.readString(Readme.file("scripts/demo.sh"));
    assertThat(script)
        .contains("bash scripts/install-qemu.sh")
        .contains("bash scripts/build-test-guest.sh")
        .contains("mvn -B -q -ntp -Dstyle.color=never -DskipTests -pl cpr-examples -am package")
        .contains("exec " + Processes.CPR_COMMAND + " demo \"$@\"");
    assertThat(Files.readString(Readme.file(".ci/run"))).contains("scripts/test.sh");
  }

  @Test
  void theCliSynopsisNamesExactlyTheOptionsOfEachCommand() {
    List<String> synopsis =
        Readme.blocks("text").stream()
            .flatMap(b -> b.lines().stream())
            .filter(l -> l.startsWith(CPR))
            .toList();
    // One line per subcommand of the tool, none missing.
    assertThat(synopsis)
        .hasSize(
            (int) cpr().getSubcommands().keySet().stream().filter(n -> !n.equals("help")).count());
    Pattern option = Pattern.compile("--[a-z-]+");
    for (String line : synopsis) {
      String name = line.substring(CPR.length()).strip().split(" ")[0];
      CommandSpec spec = cpr().getSubcommands().get(name).getCommandSpec();
      List<String> documented = new ArrayList<>();
      Matcher m = option.matcher(line);
      while (m.find()) {
        documented.add(m.group());
      }
      List<String> actual =
          spec.options().stream()
              .map(OptionSpec::longestName)
              .filter(o -> !o.equals("--help") && !o.equals("--version"))
              .toList();
      assertThat(documented).as(line).containsExactlyInAnyOrderElementsOf(actual);
    }
  }

  @Test
  void theExitCodeTableMatchesTheTool() {
    Pattern row = Pattern.compile("^\\| (\\d) \\| (.+) \\|$", Pattern.MULTILINE);
    Matcher m = row.matcher(Readme.text());
    List<Integer> codes = new ArrayList<>();
    while (m.find()) {
      codes.add(Integer.parseInt(m.group(1)));
    }
    assertThat(codes)
        .containsExactlyElementsOf(
            Arrays.stream(ExitStatus.values()).map(ExitStatus::code).toList());
  }

  @Test
  void theDemoOutputShownIsTheDemosOwn() {
    String shown =
        Readme.blocks("text").stream()
            .filter(b -> b.text().contains("qemu-cpr-java demo:"))
            .findFirst()
            .orElseThrow()
            .text();
    // The lines DemoIT checks in the real output.
    assertThat(shown)
        .contains(
            "QEMU #1 started",
            "guest booted: boot_id",
            "QEMU #2 started",
            "Timeline:",
            "<- the blackout starts",
            "<- the blackout ends",
            "Blackout: the guest did not run for",
            "the guest never rebooted");
  }

  @Test
  void everyJavaBlockCompiles() throws Exception {
    ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow();
    List<Readme.Block> blocks = Readme.blocks("java");
    assertThat(blocks).isNotEmpty();
    for (int i = 0; i < blocks.size(); i++) {
      StringBuilder imports =
          new StringBuilder(
              "import java.nio.file.Path;\nimport java.time.Duration;\n"
                  + "import tools.jackson.databind.JsonNode;\n");
      StringBuilder body = new StringBuilder();
      for (String line : blocks.get(i).lines()) {
        (line.startsWith("import ") ? imports : body).append(line).append('\n');
      }
      String name = "ReadmeSnippet" + i;
      Path source = dir.resolve(name + ".java");
      Files.writeString(
          source,
          imports + "class " + name + " {\n void run() throws Exception {\n" + body + "\n }\n}\n");
      StringWriter errors = new StringWriter();
      PrintWriter log = new PrintWriter(errors);
      int status =
          javac.run(
              log,
              log,
              "-d",
              dir.toString(),
              "-proc:none",
              "-classpath",
              System.getProperty("java.class.path"),
              source.toString());
      assertThat(status)
          .as(
              String.format(
                  Locale.ROOT,
                  "java block %d of the README does not compile:%n%s%n%s",
                  i + 1,
                  blocks.get(i).text(),
                  errors))
          .isZero();
    }
  }
}

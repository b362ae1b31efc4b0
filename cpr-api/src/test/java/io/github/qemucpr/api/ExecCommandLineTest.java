package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.testing.Responders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the cpr-exec preflight says of the new command line. */
class ExecCommandLineTest {
  private final ExecFake fake = new ExecFake();
  @TempDir Path dir;

  @AfterEach
  void tearDown() {
    fake.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"-daemonize", "--daemonize"})
  void aNewCommandLineThatDaemonizesIsRefused(String option) {
    PreflightReport report = fake.exec(dir.resolve("vm.state"), option).check();
    assertThat(report.items())
        .filteredOn(i -> i.code() == PreflightCode.EXEC_COMMAND_DAEMONIZES)
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.isError()).isTrue();
              assertThat(i.message()).contains(option);
            });
  }

  @Test
  void aNewCommandLineWithoutItHasNoSuchItem() {
    PreflightReport report = fake.exec(dir.resolve("vm.state")).check();
    assertThat(report.items()).noneMatch(i -> i.code() == PreflightCode.EXEC_COMMAND_DAEMONIZES);
    assertThat(report.hasErrors()).as(report.toString()).isFalse();
  }

  @Test
  void aValueThatLooksLikeDaemonizeIsNotTheOption() {
    // A VM named "-daemonize", and a kernel command line "--daemonize": values, not options.
    PreflightReport report =
        fake.exec(dir.resolve("vm.state"), "-name", "-daemonize", "-append", "--daemonize").check();
    assertThat(report.items()).noneMatch(i -> i.code() == PreflightCode.EXEC_COMMAND_DAEMONIZES);
    assertThat(report.hasErrors()).as(report.toString()).isFalse();
  }

  @Test
  void daemonizeAfterAnOptionWithoutAValueIsStillTheOption() {
    PreflightReport report = fake.exec(dir.resolve("vm.state"), "-S", "--daemonize").check();
    assertThat(report.items())
        .filteredOn(i -> i.code() == PreflightCode.EXEC_COMMAND_DAEMONIZES)
        .singleElement()
        .satisfies(i -> assertThat(i.subject()).isEqualTo("--daemonize"));
  }

  @Test
  void anOptionThatEndsTheCommandLineWithoutItsValueIsAnError() {
    // QEMU exits at once ("requires an argument"), and the VM with it, after the exec.
    fake.qemu.server().enqueue("qom-get", Responders.returns("true"));
    PreflightReport report =
        CprExec.of(fake.qmp)
            .newCommand(
                List.of(
                    "/bin/sh",
                    "-qmp",
                    "unix:" + fake.qemu.server().socketPath() + ",server=on,wait=off",
                    "--m"))
            .stateFile(dir.resolve("vm.state"))
            .check();
    assertThat(report.errors())
        .as(report.toString())
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.code().name()).isEqualTo("EXEC_COMMAND_INVALID");
              assertThat(i.subject()).isEqualTo("--m");
              assertThat(i.message()).contains("--m", "value");
            });
  }

  @Test
  void anOptionQemuDoesNotKnowIsAWarning() {
    // A newer QEMU may know it; one that does not exits at once after the exec.
    PreflightReport report = fake.exec(dir.resolve("vm.state"), "-frobnicate").check();
    assertThat(report.hasErrors()).as(report.toString()).isFalse();
    assertThat(report.warnings())
        .filteredOn(i -> i.code().name().equals("EXEC_COMMAND_INVALID"))
        .singleElement()
        .satisfies(i -> assertThat(i.subject()).isEqualTo("-frobnicate"));
  }

  private PreflightReport checkWith(String... args) {
    fake.qemu.server().enqueue("qom-get", Responders.returns("true"));
    List<String> command = new java.util.ArrayList<>(List.of("/bin/sh"));
    command.addAll(List.of(args));
    return CprExec.of(fake.qmp).newCommand(command).stateFile(dir.resolve("vm.state")).check();
  }

  @Test
  void aMonitorSocketRelativeToQemusWorkingDirectoryIsFound() throws Exception {
    // The fake QEMU runs in this JVM: its working directory is this process's. A relative path
    // there reaches the monitor socket through a link, so that no spelling of it is the socket's.
    Path cwd = Path.of("").toAbsolutePath();
    Path links = Files.createTempDirectory(Files.createDirectories(cwd.resolve("target")), "cwd");
    try {
      Path link =
          Files.createSymbolicLink(links.resolve("monitor"), fake.qemu.socketPath().getParent());
      String relative = cwd.relativize(link.resolve("qmp.sock")).toString();
      assertThat(relative).doesNotStartWith("/").doesNotContain(fake.qemu.socketPath().toString());

      PreflightReport report = checkWith("-qmp", "unix:" + relative + ",server=on,wait=off");

      assertThat(report.hasErrors()).as(report.toString()).isFalse();
    } finally {
      try (var files = Files.walk(links)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  void theSocketPathAsAnotherOptionsValueOrAHumanMonitorIsNoQmpMonitor() {
    String socket = fake.qemu.server().socketPath().toString();
    for (String[] args :
        List.of(
            new String[] {"-name", socket, "-qmp", "unix:/nonexistent/qmp.sock,server=on"},
            new String[] {"-monitor", "unix:" + socket + ",server=on,wait=off"},
            new String[] {"-qmp", "unix:x" + socket + ",server=on,wait=off"})) {
      PreflightReport report = checkWith(args);
      assertThat(report.errors())
          .as(String.join(" ", args))
          .extracting(PreflightItem::code)
          .containsExactly(PreflightCode.EXEC_COMMAND_NO_MONITOR);
    }
  }

  @Test
  void aQmpMonitorOnAChardevCounts() {
    String socket = fake.qemu.server().socketPath().toString().replace(",", ",,");
    PreflightReport report =
        checkWith(
            "-chardev",
            "socket,id=mon0,path=" + socket + ",server=on,wait=off",
            "-mon",
            "chardev=mon0,mode=control");
    assertThat(report.hasErrors()).as(report.toString()).isFalse();
  }
}

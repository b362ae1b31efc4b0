package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.testing.Responders;
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
}

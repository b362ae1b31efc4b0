package io.github.qemucpr.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line itself, in process: help, usage errors, and failures before any QEMU. */
class CliTest {
  @TempDir Path dir;

  private record Result(int exitCode, String out, String err) {}

  private static Result cpr(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Main.execute(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            args);
    return new Result(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void helpListsTheCommandsAndTheExitCodes() {
    Result r = cpr("--help");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out())
        .contains("Usage: cpr")
        .contains("status", "check", "save", "restore", "demo")
        .contains("Exit codes:")
        .contains("3   refused, nothing was changed")
        .contains("5   the operation failed and the VM needs attention");
  }

  @ParameterizedTest
  @ValueSource(strings = {"status", "check", "save", "restore", "demo"})
  void everyCommandHasHelp(String command) {
    Result r = cpr(command, "--help");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("Usage: cpr " + command).contains("Exit codes:");
    assertThat(r.err()).isEmpty();
  }

  @Test
  void saveHelpShowsEveryOptionOfTheSynopsis() {
    assertThat(cpr("save", "--help").out())
        .contains(
            "--qmp=SOCKET",
            "--state=FILE",
            "--qga=SOCKET",
            "--suspend=auto|always|never",
            "--no-quit",
            "--timeout=SECONDS",
            "--json");
    assertThat(cpr("restore", "--help").out())
        .contains(
            "--qmp=SOCKET",
            "--state=FILE",
            "--no-wakeup",
            "--force",
            "--timeout=SECONDS",
            "--json");
    assertThat(cpr("demo", "--help").out()).contains("--keep");
  }

  @Test
  void noCommandIsAUsageError() {
    Result r = cpr();
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("Missing a command").contains("status").contains("restore");
  }

  @Test
  void anUnknownCommandIsAUsageErrorWithASuggestion() {
    Result r = cpr("stauts", "--qmp", "x");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("stauts").contains("status");
  }

  @Test
  void badValuesAreUsageErrors() {
    assertThat(cpr("save", "--qmp", "q", "--state", "s", "--suspend", "maybe").exitCode())
        .isEqualTo(2);
    Result timeout = cpr("restore", "--qmp", "q", "--state", "s", "--timeout", "0");
    assertThat(timeout.exitCode()).isEqualTo(2);
    assertThat(timeout.err()).contains("must be 1 to 86400 seconds");
    assertThat(cpr("check", "--qmp", "q").err())
        .contains("Missing required option: '--state=FILE'");
    assertThat(cpr("status", "--qmp", "q", "--frobnicate").exitCode()).isEqualTo(2);
  }

  @Test
  void aNewCommandLineTheExecCannotTakeIsAUsageErrorBeforeAnyConnect() {
    String socket = dir.resolve("missing.sock").toString();
    String state = dir.resolve("vm.state").toString();
    Result incoming =
        cpr(
            "exec",
            "--qmp",
            socket,
            "--state",
            state,
            "--",
            "/usr/bin/qemu-system-x86_64",
            "-m",
            "256",
            "--incoming",
            "defer");
    assertThat(incoming.exitCode()).isEqualTo(2);
    assertThat(incoming.out() + incoming.err())
        .contains("NEW_QEMU_ARGV has --incoming")
        .doesNotContain("no QMP socket");
    Result relative =
        cpr("exec", "--qmp", socket, "--state", state, "--", "qemu-system-x86_64", "-m", "256");
    assertThat(relative.exitCode()).isEqualTo(2);
    assertThat(relative.out() + relative.err()).contains("absolute path");
  }

  @Test
  void aValueThatLooksLikeIncomingIsNotAUsageError() {
    // A VM named "--incoming": QEMU reads it as the value of -name, and so does cpr.
    Result r =
        cpr(
            "exec",
            "--qmp",
            dir.resolve("missing.sock").toString(),
            "--state",
            dir.resolve("vm.state").toString(),
            "--",
            "/usr/bin/qemu-system-x86_64",
            "-name",
            "--incoming",
            "-m",
            "256");
    assertThat(r.out() + r.err()).doesNotContain("NEW_QEMU_ARGV has");
    assertThat(r.exitCode()).as(r.out() + r.err()).isEqualTo(1); // then no QEMU to connect to
  }

  @Test
  void theSuspendPolicyIgnoresCase() {
    // Parses, then fails to connect: exit 1, not 2.
    Result r =
        cpr(
            "save",
            "--qmp",
            dir.resolve("q.sock").toString(),
            "--state",
            dir.resolve("vm.state").toString(),
            "--suspend",
            "ALWAYS");
    assertThat(r.exitCode()).isEqualTo(1);
  }

  @Test
  void aMissingSocketIsExplainedAsJsonToo() {
    Result r = cpr("status", "--qmp", dir.resolve("q.sock").toString(), "--json");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out())
        .startsWith("{")
        .contains("\"ok\" : false")
        .contains("\"exitCode\" : 1")
        .contains("\"type\" : \"CliException\"")
        .contains("There is no QMP socket")
        .contains("\"advice\" : \"Check the path");
    assertThat(r.err()).contains("status failed: exit 1");
  }

  @Test
  void aMissingAgentSocketIsExplained() {
    Result r =
        cpr(
            "check",
            "--qmp",
            dir.resolve("q.sock").toString(),
            "--state",
            "vm.state",
            "--qga",
            dir.resolve("qga.sock").toString());
    assertThat(r.exitCode()).isEqualTo(1);
    // The QMP socket is opened first.
    assertThat(r.out()).contains("There is no QMP socket");
  }

  @Test
  void versionNamesTheTool() {
    Result r = cpr("--version");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).startsWith("cpr ");
  }
}

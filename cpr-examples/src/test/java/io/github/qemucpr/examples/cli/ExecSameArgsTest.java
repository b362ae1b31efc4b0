package io.github.qemucpr.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code cpr exec --same-args}: the running QEMU's arguments, made fit for the exec. */
class ExecSameArgsTest {

  @Test
  void incomingAndDaemonizeAreLeftOutInEitherSpelling() {
    List<String> running =
        List.of(
            "/usr/bin/qemu-system-x86_64",
            "-daemonize",
            "-m",
            "256",
            "--incoming",
            "defer",
            "--daemonize",
            "-qmp",
            "unix:/run/vm.sock,server=on,wait=off",
            "-incoming",
            "file:/old.state");
    assertThat(ExecCommand.sameCommand("/opt/qemu/bin/qemu-system-x86_64", running))
        .containsExactly(
            "/opt/qemu/bin/qemu-system-x86_64",
            "-m",
            "256",
            "-qmp",
            "unix:/run/vm.sock,server=on,wait=off");
  }

  @Test
  void valuesThatLookLikeThoseOptionsAreKept() {
    // A VM named "-incoming", a kernel command line "-daemonize": values of -name and -append.
    List<String> running =
        List.of(
            "/usr/bin/qemu-system-x86_64",
            "-name",
            "-incoming",
            "-m",
            "256",
            "-append",
            "-daemonize",
            "--incoming",
            "defer",
            "-S");
    assertThat(ExecCommand.sameCommand("/opt/qemu/bin/qemu-system-x86_64", running))
        .containsExactly(
            "/opt/qemu/bin/qemu-system-x86_64",
            "-name",
            "-incoming",
            "-m",
            "256",
            "-append",
            "-daemonize",
            "-S");
  }

  @Test
  void theValueOfIncomingGoesWithItEvenWhenItLooksLikeAnOption() {
    List<String> running =
        List.of("/usr/bin/qemu-system-x86_64", "-incoming", "-daemonize", "-m", "256");
    assertThat(ExecCommand.sameCommand("/opt/qemu/bin/qemu-system-x86_64", running))
        .containsExactly("/opt/qemu/bin/qemu-system-x86_64", "-m", "256");
  }
}

package io.github.qemucpr.api.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprExec;
import io.github.qemucpr.api.CprExecBuilder;
import io.github.qemucpr.api.CprExecException;
import io.github.qemucpr.api.CprExecException.VmLocation;
import io.github.qemucpr.api.CprExecResult;
import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprPreflightException;
import io.github.qemucpr.api.PreflightCode;
import io.github.qemucpr.api.PreflightItem;
import io.github.qemucpr.api.PreflightReport;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.command.ExecResult;
import io.github.qemucpr.qga.testing.TestGuest;
import io.github.qemucpr.qmp.EventWait;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.QueryMigrateParameters;
import io.github.qemucpr.qmp.command.QueryQmpSchema;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.command.Stop;
import io.github.qemucpr.qmp.command.SystemWakeup;
import io.github.qemucpr.qmp.event.SuspendEvent;
import io.github.qemucpr.qmp.event.WakeupEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * cpr-exec against the real QEMU on {@code PATH}. Whether that QEMU has cpr-exec is read from its
 * own schema (the {@code mode} values of {@code migrate-set-parameters}), never from a version
 * number: with it, each test runs its scenario; without it, each asserts that the preflight refuses
 * before anything is touched. The new command line is the running QEMU's own, read from {@code
 * /proc/PID/cmdline} (its binary as QEMU sees it: a QEMU in a chroot names the chroot's).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CprExecIT {

  @TempDir Path dir;

  private static QemuLauncher machineOnly(String name) {
    return QemuLauncher.builder().memoryMiB(128).memfd().auxRamShare().name(name).build();
  }

  private static boolean hasCprExec(QmpClient qmp) {
    return qmp.execute(new QueryQmpSchema())
        .enumValuesOfArgument("migrate-set-parameters", "mode")
        .orElse(List.of())
        .contains("cpr-exec");
  }

  /** The command line of the running QEMU, binary first, as an absolute path in its root. */
  private static List<String> ownCommandLine(long pid) throws IOException {
    byte[] raw = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
    List<String> args = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == 0) {
        args.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
        start = i + 1;
      }
    }
    if (!args.get(0).startsWith("/")) {
      args.set(0, Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")).toString());
    }
    return args;
  }

  private static List<String> withBinary(List<String> argv, String binary) {
    List<String> copy = new ArrayList<>(argv);
    copy.set(0, binary);
    return copy;
  }

  private Path script(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return p;
  }

  private static RunState runState(QmpClient qmp) {
    return qmp.execute(new QueryStatus()).status();
  }

  private static String mode(QmpClient qmp) {
    return qmp.execute(new QueryMigrateParameters()).mode().wireName();
  }

  /** Without cpr-exec: refused by the preflight, nothing touched. */
  private void assertRefused(QmpClient qmp, CprExecBuilder exec, Path state) {
    PreflightReport report = exec.check();
    assertThat(report.errors())
        .as(report.toString())
        .extracting(PreflightItem::code)
        .contains(PreflightCode.CPR_EXEC_UNSUPPORTED);
    CprPreflightException e = catchThrowableOfType(CprPreflightException.class, exec::run);
    assertThat(e).isNotNull();
    assertThat(e.report().errors())
        .extracting(PreflightItem::code)
        .contains(PreflightCode.CPR_EXEC_UNSUPPORTED);
    assertThat(e.recovery()).isEqualTo(VmRecovery.UNTOUCHED);
    assertThat(mode(qmp)).isEqualTo("normal");
    assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
    assertThat(qmp.isOpen()).isTrue();
    assertThat(state).doesNotExist();
  }

  @Test
  void aMachineOnlyVmRunsOnInTheSameProcess() throws Exception {
    Path state = dir.resolve("exec.state");
    try (QemuLauncher vm = machineOnly("x-roundtrip");
        QemuInstance qemu = vm.start()) {
      QmpClient qmp = QmpClient.connect(qemu.qmpSocket());
      try {
        assertThat(qmp.peerProcessId()).hasValue(qemu.pid());
        CprExecBuilder exec =
            CprExec.of(qmp).newCommand(ownCommandLine(qemu.pid())).stateFile(state);
        if (!hasCprExec(qmp)) {
          assertRefused(qmp, exec, state);
          return;
        }
        PreflightReport report = exec.check();
        assertThat(report.hasErrors()).as(report.toString()).isFalse();
        assertThat(mode(qmp)).isEqualTo("normal");

        CprExecResult r = exec.run();
        assertThat(qmp.isOpen()).isFalse();
        try (QmpClient again = r.client()) {
          assertThat(r.processId()).isEqualTo(qemu.pid());
          assertThat(again.peerProcessId()).hasValue(qemu.pid());
          assertThat(qemu.isAlive()).isTrue();
          assertThat(r.runState()).isEqualTo(RunState.RUNNING);
          assertThat(runState(again)).isEqualTo(RunState.RUNNING);
          assertThat(again.execute(new QueryMigrate()).status())
              .isEqualTo(MigrationStatus.COMPLETED);
          assertThat(r.versionAfter()).isEqualTo(r.versionBefore());
          assertThat(r.phaseDurations().keySet())
              .containsExactly(
                  CprPhase.PREFLIGHT,
                  CprPhase.PREPARE,
                  CprPhase.MIGRATE,
                  CprPhase.CONNECT_TARGET,
                  CprPhase.LOAD);
          assertThat(r.blackout()).isPositive();
          assertThat(state).doesNotExist();
          System.out.printf(
              "CPR-MEASURE cpr-exec machine-only: blackout %.1f ms (%s), no monitor"
                  + " for %.1f ms, total %.1f ms%n",
              r.blackout().toNanos() / 1e6,
              r.blackoutExact() ? "exact" : "upper bound",
              r.monitorGap().toNanos() / 1e6,
              r.total().toNanos() / 1e6);
        }
      } finally {
        qmp.close();
      }
    }
  }

  /**
   * A new command line with {@code -S}, as libvirt starts QEMU: the loaded VM waits paused, and the
   * run continues it, because it was running before.
   */
  @Test
  void aNewCommandLineWithDashSIsContinuedAfterTheLoad() throws Exception {
    Path state = dir.resolve("exec-s.state");
    try (QemuLauncher vm = machineOnly("x-dash-s");
        QemuInstance qemu = vm.start()) {
      QmpClient qmp = QmpClient.connect(qemu.qmpSocket());
      try {
        List<String> command = new ArrayList<>(ownCommandLine(qemu.pid()));
        command.add(1, "-S");
        CprExecBuilder exec = CprExec.of(qmp).newCommand(command).stateFile(state);
        if (!hasCprExec(qmp)) {
          assertRefused(qmp, exec, state);
          return;
        }
        CprExecResult r = exec.run();
        try (QmpClient again = r.client()) {
          assertThat(r.processId()).isEqualTo(qemu.pid());
          assertThat(r.runState()).isEqualTo(RunState.RUNNING);
          assertThat(runState(again)).isEqualTo(RunState.RUNNING);
          assertThat(state).doesNotExist();
        }
      } finally {
        qmp.close();
      }
    }
  }

  /**
   * The real test guest with its agent: the same process, the same boot (boot_id), the heartbeat
   * goes on, and the agent answers on the socket the new QEMU opened again.
   */
  @Test
  void theTestGuestRunsOnWithoutARebootInTheSameProcess() throws Exception {
    Path state = dir.resolve("guest.state");
    try (TestGuest guest = TestGuest.builder().auxRamShare().start()) {
      String bootId = guest.bootId().orElseThrow();
      long beat = guest.instance().awaitHeartbeatAfter(2, Duration.ofSeconds(30));
      QmpClient qmp = guest.connectQmp();
      try {
        CprExecBuilder exec =
            CprExec.of(qmp).newCommand(ownCommandLine(guest.pid())).stateFile(state);
        if (!hasCprExec(qmp)) {
          assertRefused(qmp, exec, state);
          return;
        }
        CprExecResult r = exec.run();
        try (QmpClient again = r.client();
            GuestAgentClient qga = guest.connectAgent()) {
          assertThat(r.processId()).isEqualTo(guest.pid());
          assertThat(guest.isAlive()).isTrue();
          assertThat(r.runState()).isEqualTo(RunState.RUNNING);
          long after = guest.awaitHeartbeatAfter(0, Duration.ofSeconds(30));
          assertThat(guest.console()).doesNotContain("boot_id");
          qga.sync();
          ExecResult cat =
              qga.run("cat", List.of("/proc/sys/kernel/random/boot_id"), Duration.ofSeconds(20));
          assertThat(cat.stdout().trim()).isEqualTo(bootId);
          assertThat(guest.awaitHeartbeatAfter(after, Duration.ofSeconds(30))).isGreaterThan(after);
          assertThat(state).doesNotExist();
          System.out.printf(
              "CPR-MEASURE cpr-exec test guest: blackout %.1f ms (%s), no monitor"
                  + " for %.1f ms, total %.1f ms (heartbeat before %d)%n",
              r.blackout().toNanos() / 1e6,
              r.blackoutExact() ? "exact" : "upper bound",
              r.monitorGap().toNanos() / 1e6,
              r.total().toNanos() / 1e6,
              beat);
        }
      } finally {
        qmp.close();
      }
    }
  }

  /**
   * A guest suspended first (as a VFIO guest must be for some CPR modes) comes back suspended in
   * the new QEMU, and wakes up there with the same boot.
   */
  @Test
  void aSuspendedGuestComesBackSuspendedAndWakesUp() throws Exception {
    Path state = dir.resolve("suspended.state");
    try (TestGuest guest = TestGuest.builder().auxRamShare().start()) {
      String bootId = guest.bootId().orElseThrow();
      QmpClient qmp = guest.connectQmp();
      try {
        try (GuestAgentClient qga = guest.connectAgent();
            EventWait<SuspendEvent> suspended = qmp.expectEvent(SuspendEvent.class, e -> true)) {
          qga.sync();
          qga.suspendRam();
          suspended.await(Duration.ofSeconds(20));
        }
        assertThat(runState(qmp)).isEqualTo(RunState.SUSPENDED);
        CprExecBuilder exec =
            CprExec.of(qmp).newCommand(ownCommandLine(guest.pid())).stateFile(state);
        if (!hasCprExec(qmp)) {
          PreflightReport report = exec.check();
          assertThat(report.errors())
              .extracting(PreflightItem::code)
              .contains(PreflightCode.CPR_EXEC_UNSUPPORTED);
          assertThat(runState(qmp)).isEqualTo(RunState.SUSPENDED);
          return;
        }
        CprExecResult r = exec.run();
        try (QmpClient again = r.client()) {
          assertThat(r.runState()).isEqualTo(RunState.SUSPENDED);
          assertThat(runState(again)).isEqualTo(RunState.SUSPENDED);
          try (EventWait<WakeupEvent> woke = again.expectEvent(WakeupEvent.class, e -> true)) {
            again.execute(new SystemWakeup());
            woke.await(Duration.ofSeconds(20));
          }
          assertThat(runState(again)).isEqualTo(RunState.RUNNING);
          try (GuestAgentClient qga = guest.connectAgent()) {
            qga.sync();
            ExecResult cat =
                qga.run("cat", List.of("/proc/sys/kernel/random/boot_id"), Duration.ofSeconds(20));
            assertThat(cat.stdout().trim()).isEqualTo(bootId);
          }
        }
      } finally {
        qmp.close();
      }
    }
  }

  /**
   * suspendGuestFirst: the exec suspends the guest through its agent, the new QEMU gets it
   * suspended, and the exec wakes it there: the same boot, the blackout from SUSPEND to WAKEUP.
   */
  @Test
  void aGuestTheExecSuspendsWakesUpInTheNewQemu() throws Exception {
    Path state = dir.resolve("suspend-first.state");
    try (TestGuest guest = TestGuest.builder().auxRamShare().start()) {
      String bootId = guest.bootId().orElseThrow();
      QmpClient qmp = guest.connectQmp();
      try (GuestAgentClient agent = guest.connectAgent()) {
        CprExecBuilder exec =
            CprExec.of(qmp)
                .newCommand(ownCommandLine(guest.pid()))
                .stateFile(state)
                .suspendGuestFirst(agent);
        if (!hasCprExec(qmp)) {
          assertRefused(qmp, exec, state);
          return;
        }
        CprExecResult r = exec.run();
        try (QmpClient again = r.client();
            GuestAgentClient qga = guest.connectAgent()) {
          assertThat(r.runState()).isEqualTo(RunState.RUNNING);
          assertThat(runState(again)).isEqualTo(RunState.RUNNING);
          assertThat(r.phaseDurations().keySet())
              .containsExactly(
                  CprPhase.PREFLIGHT,
                  CprPhase.SUSPEND,
                  CprPhase.PREPARE,
                  CprPhase.MIGRATE,
                  CprPhase.CONNECT_TARGET,
                  CprPhase.LOAD,
                  CprPhase.WAKE_UP);
          assertThat(r.blackoutExact()).isTrue();
          assertThat(r.blackout()).isPositive();
          qga.sync();
          ExecResult cat =
              qga.run("cat", List.of("/proc/sys/kernel/random/boot_id"), Duration.ofSeconds(20));
          assertThat(cat.stdout().trim()).isEqualTo(bootId);
          System.out.printf(
              "CPR-MEASURE cpr-exec test guest suspended first: SUSPEND to WAKEUP"
                  + " %.1f ms, total %.1f ms%n",
              r.blackout().toNanos() / 1e6, r.total().toNanos() / 1e6);
        }
      } finally {
        qmp.close();
      }
    }
  }

  /**
   * An exec that fails in {@code execvp} (here a script whose interpreter is removed after the
   * preflight checked it): QEMU reports the migration failed and resumes the VM itself; the
   * rollback removes the state file and sets the mode back.
   */
  @Test
  void anExecThatFailsLeavesTheVmRunningInTheOldQemu() throws Exception {
    Path state = dir.resolve("exec.state");
    // The interpreter is there for the preflight (which refuses a missing one) and gone when QEMU
    // executes the script: execvp fails, as for any binary removed after the check.
    Path interpreter = Files.createSymbolicLink(dir.resolve("interpreter"), Path.of("/bin/sh"));
    Path binary = script("no-interpreter", "#!" + interpreter + "\n");
    try (QemuLauncher vm = machineOnly("x-failed");
        QemuInstance qemu = vm.start();
        QmpClient qmp = QmpClient.connect(qemu.qmpSocket())) {
      CprExecBuilder exec =
          CprExec.of(qmp)
              .newCommand(withBinary(ownCommandLine(qemu.pid()), binary.toString()))
              .stateFile(state)
              .progressListener(
                  event -> {
                    if (event.phase() == CprPhase.PREPARE) {
                      try {
                        Files.deleteIfExists(interpreter);
                      } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                      }
                    }
                  });
      if (!hasCprExec(qmp)) {
        assertRefused(qmp, exec, state);
        return;
      }
      CprExecException e = catchThrowableOfType(CprExecException.class, exec::run);

      assertThat(e).isNotNull();
      assertThat(e.vmLocation()).as(e.getMessage()).isEqualTo(VmLocation.OLD_QEMU);
      assertThat(e.recovery()).as(e.getMessage()).isEqualTo(VmRecovery.RESTORED);
      assertThat(e.phase()).isEqualTo(CprPhase.CONNECT_TARGET);
      assertThat(e.qemuError()).contains("execvp");
      assertThat(e.vmState()).isEqualTo(RunState.RUNNING);
      assertThat(e.stateFile()).isNull();
      assertThat(qmp.isOpen()).isTrue();
      assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
      assertThat(mode(qmp)).isEqualTo("normal");
      assertThat(state).doesNotExist();
      assertThat(qemu.isAlive()).isTrue();
    }
  }

  /**
   * A new program that exits at once: the exec happened, so the process, and the VM with its memfd
   * RAM, is gone. The exception says so and keeps the state file.
   */
  @Test
  void aProgramThatExitsAtOnceEndsTheProcessAndKeepsTheStateFile() throws Exception {
    Path state = dir.resolve("exec.state");
    Path binary = script("exits", "#!/bin/sh\nexit 3\n");
    try (QemuLauncher vm = machineOnly("x-exits");
        QemuInstance qemu = vm.start();
        QmpClient qmp = QmpClient.connect(qemu.qmpSocket())) {
      CprExecBuilder exec =
          CprExec.of(qmp)
              .newCommand(withBinary(ownCommandLine(qemu.pid()), binary.toString()))
              .stateFile(state)
              .reconnectTimeout(Duration.ofSeconds(3));
      if (!hasCprExec(qmp)) {
        assertRefused(qmp, exec, state);
        return;
      }
      CprExecException e = catchThrowableOfType(CprExecException.class, exec::run);

      assertThat(e).isNotNull();
      assertThat(e.vmLocation()).as(e.getMessage()).isEqualTo(VmLocation.PROCESS_EXITED);
      assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
      assertThat(e.stateFile()).isEqualTo(state);
      assertThat(state).isRegularFile();
      assertThat(qemu.awaitExit(Duration.ofSeconds(10))).isEqualTo(3);
    }
  }

  /**
   * A new QEMU that cannot load the state (here its RAM backend is larger than the one kept across
   * the exec) exits, as QEMU does on a failed {@code -incoming} from its command line.
   */
  @Test
  void aNewQemuThatCannotLoadTheStateEndsTheProcess() throws Exception {
    Path state = dir.resolve("exec.state");
    try (QemuLauncher vm = machineOnly("x-badload");
        QemuInstance qemu = vm.start();
        QmpClient qmp = QmpClient.connect(qemu.qmpSocket())) {
      List<String> argv = new ArrayList<>();
      for (String a : ownCommandLine(qemu.pid())) {
        argv.add(a.equals("128M") ? "256M" : a.replace("size=128M", "size=256M"));
      }
      assertThat(argv).isNotEqualTo(ownCommandLine(qemu.pid()));
      CprExecBuilder exec =
          CprExec.of(qmp)
              .newCommand(argv)
              .stateFile(state)
              .reconnectTimeout(Duration.ofSeconds(10));
      if (!hasCprExec(qmp)) {
        assertRefused(qmp, exec, state);
        return;
      }
      CprExecException e = catchThrowableOfType(CprExecException.class, exec::run);

      assertThat(e).isNotNull();
      assertThat(e.vmLocation()).as(e.getMessage()).isEqualTo(VmLocation.PROCESS_EXITED);
      assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
      assertThat(e.stateFile()).isEqualTo(state);
      assertThat(state).isRegularFile();
      assertThat(qemu.awaitExit(Duration.ofSeconds(10))).isNotZero();
      assertThat(qemu.output()).contains("ram0");
    }
  }

  /** A paused VM comes back paused: the new QEMU does not start it. */
  @Test
  void aPausedVmStaysPaused() throws Exception {
    Path state = dir.resolve("exec.state");
    try (QemuLauncher vm = machineOnly("x-paused");
        QemuInstance qemu = vm.start()) {
      QmpClient qmp = QmpClient.connect(qemu.qmpSocket());
      try {
        qmp.execute(new Stop());
        CprExecBuilder exec =
            CprExec.of(qmp).newCommand(ownCommandLine(qemu.pid())).stateFile(state);
        if (!hasCprExec(qmp)) {
          PreflightReport report = exec.check();
          assertThat(report.errors())
              .extracting(PreflightItem::code)
              .contains(PreflightCode.CPR_EXEC_UNSUPPORTED);
          assertThat(runState(qmp)).isEqualTo(RunState.PAUSED);
          return;
        }
        CprExecResult r = exec.run();
        try (QmpClient again = r.client()) {
          assertThat(r.runState()).isEqualTo(RunState.PAUSED);
          assertThat(runState(again)).isEqualTo(RunState.PAUSED);
          assertThat(r.blackout()).isZero();
          assertThat(again.peerProcessId()).hasValue(qemu.pid());
        }
      } finally {
        qmp.close();
      }
    }
  }

  @Test
  void theBinaryAndTheMonitorAreCheckedAsQemuSeesThem() throws Exception {
    Path state = dir.resolve("exec.state");
    try (QemuLauncher vm = machineOnly("x-preflight");
        QemuInstance qemu = vm.start();
        QmpClient qmp = QmpClient.connect(qemu.qmpSocket())) {
      List<String> argv = ownCommandLine(qemu.pid());
      List<String> noMonitor = new ArrayList<>();
      for (int i = 0; i < argv.size(); i++) {
        if (argv.get(i).equals("-qmp")) {
          i++;
        } else {
          noMonitor.add(argv.get(i));
        }
      }
      noMonitor.set(0, "/nonexistent/qemu-system-x86_64");
      Path notExecutable = Files.writeString(dir.resolve("not-executable"), "");
      List<String> both = new ArrayList<>(argv);
      both.set(0, notExecutable.toString());

      PreflightReport missing = CprExec.of(qmp).newCommand(noMonitor).stateFile(state).check();
      PreflightReport plain = CprExec.of(qmp).newCommand(both).stateFile(state).check();

      List<PreflightCode> expected =
          new ArrayList<>(
              List.of(PreflightCode.EXEC_BINARY_UNUSABLE, PreflightCode.EXEC_COMMAND_NO_MONITOR));
      if (!hasCprExec(qmp)) {
        expected.add(PreflightCode.CPR_EXEC_UNSUPPORTED);
      }
      assertThat(missing.errors())
          .as(missing.toString())
          .extracting(PreflightItem::code)
          .containsExactlyInAnyOrderElementsOf(expected);
      assertThat(plain.errors())
          .as(plain.toString())
          .extracting(PreflightItem::code)
          .contains(PreflightCode.EXEC_BINARY_UNUSABLE)
          .doesNotContain(PreflightCode.EXEC_COMMAND_NO_MONITOR);
      assertThat(mode(qmp)).isEqualTo("normal");
      assertThat(state).doesNotExist();
    }
  }
}

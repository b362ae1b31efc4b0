package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprExecException.VmLocation;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.testing.FakeGuestAgent;
import io.github.qemucpr.testing.FakeQemu;
import io.github.qemucpr.testing.Responders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * cpr-exec against {@link FakeQemu}, for what a real QEMU does not do on demand: a migration that
 * fails before the exec, an exec that QEMU reports failed, and the exec itself (the fake closes the
 * monitor and answers again on the same socket, as QEMU 11.1 does). The fake runs in this JVM, so
 * the "QEMU process" the preflight looks at is this one, and {@code /bin/sh} stands in for the new
 * binary.
 */
class ExecRollbackTest {
  private final ExecFake fake = new ExecFake();
  private final FakeQemu qemu = fake.qemu;
  private final QmpClient qmp = fake.qmp;
  @TempDir Path dir;

  @AfterEach
  void tearDown() {
    fake.close();
  }

  private CprExecBuilder exec(Path state) {
    return fake.exec(state);
  }

  @Test
  void aMigrationThatFailsLeavesTheVmInTheOldQemuAndRemovesTheStateFile() {
    Path state = dir.resolve("exec.state");
    qemu.migrateScript(FakeQemu.failsWith("No space left on device"));

    CprExecException e = catchThrowableOfType(CprExecException.class, exec(state)::run);

    assertThat(e).isNotNull();
    assertThat(e.phase()).isEqualTo(CprPhase.MIGRATE);
    assertThat(e.vmLocation()).isEqualTo(VmLocation.OLD_QEMU);
    assertThat(e.recovery()).as(e.getMessage()).isEqualTo(VmRecovery.RESTORED);
    assertThat(e.qemuError()).isEqualTo("No space left on device");
    assertThat(e.stateFile()).isNull();
    assertThat(state).doesNotExist();
    assertThat(qemu.mode()).isEqualTo("normal");
    assertThat(qemu.commandsAfter("migrate")).contains("remove-fd", "migrate-set-parameters");
    assertThat(qmp.isOpen()).isTrue();
  }

  @Test
  void anExecThatQemuReportsFailedIsRolledBack() {
    Path state = dir.resolve("exec.state");
    qemu.migrateScript(
        (q, r, x) -> {
          q.startMigration(x);
          q.endMigration(x, "completed", null);
          // As QEMU 11.1 when execvp fails: failed after completed, and the VM resumes.
          q.migrationStatus("failed");
          q.migrationError("execvp /bin/sh failed: Permission denied");
          x.event("MIGRATION", "{\"status\": \"failed\"}");
          q.runState("running");
          x.event("RESUME", null);
        });

    CprExecException e = catchThrowableOfType(CprExecException.class, exec(state)::run);

    assertThat(e).isNotNull();
    assertThat(e.phase()).isEqualTo(CprPhase.CONNECT_TARGET);
    assertThat(e.vmLocation()).isEqualTo(VmLocation.OLD_QEMU);
    assertThat(e.recovery()).as(e.getMessage()).isEqualTo(VmRecovery.RESTORED);
    assertThat(e.qemuError()).contains("execvp");
    assertThat(e.vmState()).isEqualTo(RunState.RUNNING);
    assertThat(state).doesNotExist();
    assertThat(qemu.mode()).isEqualTo("normal");
    assertThat(qemu.commands()).doesNotContain("cont");
  }

  @Test
  void afterTheExecItConnectsAgainToTheSameProcessAndDeletesTheStateFile() {
    Path state = dir.resolve("exec.state");
    qemu.migrateScript(
        (q, r, x) -> {
          q.startMigration(x);
          q.endMigration(x, "completed", null);
          // The exec: the monitor closes; the new QEMU has loaded and runs, with fresh parameters.
          q.mode("normal");
          q.runState("running");
          x.disconnect();
        });

    CprExecResult r = exec(state).run();

    try (QmpClient again = r.client()) {
      assertThat(qmp.isOpen()).isFalse();
      assertThat(again.isOpen()).isTrue();
      assertThat(r.processId()).isEqualTo(ProcessHandle.current().pid());
      assertThat(r.runState()).isEqualTo(RunState.RUNNING);
      assertThat(state).doesNotExist();
      assertThat(qemu.server().connections()).isEqualTo(2);
      List<String> command =
          qemu.requests("migrate-set-parameters").stream()
              .filter(q -> q.arguments().has("cpr-exec-command"))
              .flatMap(q -> q.arguments().get("cpr-exec-command").valueStream())
              .map(n -> n.asString())
              .toList();
      assertThat(command.subList(0, 5))
          .containsExactly(
              "/bin/sh",
              "-qmp",
              "unix:" + qemu.server().socketPath() + ",server=on,wait=off",
              "-incoming",
              "{\"channel-type\":\"main\",\"addr\":{\"transport\":\"file\",\"filename\":\""
                  + state
                  + "\",\"offset\":0}}");
    }
  }

  @Test
  void aNewCommandLineWithDashSLeavesTheLoadedVmPausedAndTheRunContinuesIt() {
    Path state = dir.resolve("exec.state");
    qemu.migrateScript(
        (q, r, x) -> {
          q.startMigration(x);
          q.endMigration(x, "completed", null);
          // -S: the new QEMU loads the VM and waits, paused, for a cont (as libvirt starts QEMU).
          q.mode("normal");
          q.runState("paused");
          x.disconnect();
        });

    CprExecResult r = fake.exec(state, "-S").run();

    try (QmpClient again = r.client()) {
      assertThat(r.runState()).isEqualTo(RunState.RUNNING);
      assertThat(qemu.requests("cont")).hasSize(1);
      assertThat(state).doesNotExist();
    }
  }

  @Test
  void aLoadedVmPausedWithoutDashSIsNotContinued() {
    Path state = dir.resolve("exec.state");
    qemu.migrateScript(
        (q, r, x) -> {
          q.startMigration(x);
          q.endMigration(x, "completed", null);
          q.mode("normal");
          q.runState("paused");
          x.disconnect();
        });

    CprExecException e = catchThrowableOfType(CprExecException.class, () -> exec(state).run());

    assertThat(e).hasMessageContaining("paused after the load, not running");
    assertThat(qemu.requests("cont")).isEmpty();
  }

  @Test
  void aVmNamedDashSIsNotTakenForDashS() {
    Path state = dir.resolve("exec.state");
    qemu.migrateScript(
        (q, r, x) -> {
          q.startMigration(x);
          q.endMigration(x, "completed", null);
          q.mode("normal");
          q.runState("paused");
          x.disconnect();
        });

    // "-name -S" names the VM "-S": the new QEMU does not wait for a cont, so a paused VM after
    // the load is not what the exec should continue.
    CprExecException e =
        catchThrowableOfType(CprExecException.class, () -> fake.exec(state, "-name", "-S").run());

    assertThat(e).hasMessageContaining("paused after the load, not running");
    assertThat(qemu.requests("cont")).isEmpty();
  }

  @Test
  void aGuestTheExecSuspendedIsWokenWhenTheMigrationFails() {
    Path state = dir.resolve("exec.state");
    qemu.runStateBeforeMigration(
        "suspended"); // what a failed migration of a suspended guest goes back to
    qemu.migrateScript(FakeQemu.failsWith("No space left on device"));
    try (FakeGuestAgent agent = FakeGuestAgent.start();
        GuestAgentClient qga = GuestAgentClient.connect(agent.socketPath())) {
      agent.always("guest-suspend-ram", (c, r) -> qemu.suspendGuest());

      CprExecException e =
          catchThrowableOfType(
              CprExecException.class, () -> exec(state).suspendGuestFirst(qga).run());

      assertThat(e).isNotNull();
      assertThat(e.phase()).isEqualTo(CprPhase.MIGRATE);
      assertThat(e.vmLocation()).isEqualTo(VmLocation.OLD_QEMU);
      assertThat(e.recovery()).as(e.getMessage()).isEqualTo(VmRecovery.RESTORED);
      assertThat(e.vmState()).isEqualTo(RunState.RUNNING);
      assertThat(qemu.commandsAfter("migrate")).contains("system_wakeup");
      assertThat(state).doesNotExist();
    }
  }

  @Test
  void anExecDuringTheRollbackIsFollowedNotRolledBack() {
    Path state = dir.resolve("exec.state");
    qemu.migrateScript(
        (q, r, x) -> {
          // The reply to migrate is late; the migration completes, and QEMU execs while the
          // rollback runs: the new QEMU has loaded and runs.
          q.migrationStatus("completed");
          q.runState("postmigrate");
          x.later(
              Duration.ofMillis(2500),
              () -> {
                q.mode("normal");
                q.runState("running");
                x.disconnect();
              });
        });

    CprExecException e =
        catchThrowableOfType(
            CprExecException.class, () -> exec(state).phaseTimeout(Duration.ofSeconds(2)).run());

    assertThat(e).isNotNull();
    assertThat(e.vmLocation()).as(e.getMessage()).isEqualTo(VmLocation.NEW_QEMU);
    assertThat(e.vmState()).isEqualTo(RunState.RUNNING);
    assertThat(qemu.server().connections()).isEqualTo(2);
  }

  @Test
  void aRollbackThatCannotTellWhetherQemuExecutedKeepsTheStateFileAndWarns() {
    Path state = dir.resolve("exec.state");
    qemu.migrateScript(
        (q, r, x) -> {
          // No reply, no close, no failure: QEMU may exec at any moment.
          q.migrationStatus("completed");
          q.runState("postmigrate");
        });

    CprExecException e =
        catchThrowableOfType(
            CprExecException.class, () -> exec(state).phaseTimeout(Duration.ofSeconds(2)).run());

    assertThat(e).isNotNull();
    assertThat(e.vmLocation()).as(e.getMessage()).isEqualTo(VmLocation.UNKNOWN);
    assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
    assertThat(e.stateFile()).isEqualTo(state);
    assertThat(state).exists();
    assertThat(e.getMessage()).contains("by hand");
  }

  /** A process other than QEMU that speaks enough QMP to pass the negotiation. */
  private static final String IMPOSTOR =
      String.join(
          "\n",
          "import json, os, socket, sys, threading",
          "s = socket.socket(socket.AF_UNIX)",
          "s.bind(sys.argv[1]); s.listen(16)",
          "def serve(c):",
          "    f = c.makefile('rw')",
          "    f.write(json.dumps({'QMP': {'version': {'qemu': {'major': 11, 'minor': 1,"
              + " 'micro': 0}, 'package': ''}, 'capabilities': []}}) + '\\n'); f.flush()",
          "    for line in f:",
          "        r = json.loads(line)",
          "        f.write(json.dumps({'return': {}, 'id': r.get('id')}) + '\\n'); f.flush()",
          "while True:",
          "    c, _ = s.accept()",
          "    threading.Thread(target=serve, args=(c,), daemon=True).start()");

  private static void pointTo(Path link, Path target) throws Exception {
    Path tmp = link.resolveSibling(link.getFileName() + ".new");
    Files.deleteIfExists(tmp);
    Files.createSymbolicLink(tmp, target);
    Files.move(tmp, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  @Timeout(60)
  void anotherProcessAnsweringOnTheSocketAfterTheExecIsDroppedAndTheWaitGoesOn() throws Exception {
    Path state = dir.resolve("exec.state");
    Path impostorSocket = dir.resolve("impostor.sock");
    Path link = dir.resolve("qmp.sock");
    pointTo(link, qemu.socketPath());
    Process impostor = startImpostor(IMPOSTOR, impostorSocket);
    qmp.close(); // the fake serves one client at a time
    try (QmpClient viaLink = QmpClient.connect(link)) {
      theImpostorThenQemuAnswerAfterTheExec(link, impostorSocket);
      qemu.server().enqueue("qom-get", Responders.returns("true"));

      CprExecResult r =
          CprExec.of(viaLink)
              .newCommand(List.of("/bin/sh", "-qmp", "unix:" + link + ",server=on,wait=off"))
              .stateFile(state)
              .run();

      try (QmpClient again = r.client()) {
        assertThat(again.peerProcessId()).hasValue(ProcessHandle.current().pid());
        assertThat(r.runState()).isEqualTo(RunState.RUNNING);
        assertThat(qemu.server().connections()).isEqualTo(3);
      }
    } finally {
      impostor.destroy();
      impostor.waitFor();
    }
  }

  /**
   * A process other than QEMU on the socket path that does not get through the negotiation: {@code
   * garbage} is not JSON, {@code no-version} a greeting without QEMU's version, {@code refuses}
   * answers qmp_capabilities with an error.
   */
  private static final String BROKEN_IMPOSTOR =
      String.join(
          "\n",
          "import json, socket, sys, threading",
          "mode = sys.argv[2]",
          "s = socket.socket(socket.AF_UNIX)",
          "s.bind(sys.argv[1]); s.listen(16)",
          "greeting = {'QMP': {'version': {'qemu': {'major': 11, 'minor': 1, 'micro': 0},"
              + " 'package': ''}, 'capabilities': []}}",
          "def serve(c):",
          "    f = c.makefile('rw')",
          "    if mode == 'garbage':",
          "        f.write('SSH-2.0-OpenSSH_9.2\\r\\n')",
          "    elif mode == 'no-version':",
          "        f.write(json.dumps({'QMP': {'capabilities': []}}) + '\\n')",
          "    else:",
          "        f.write(json.dumps(greeting) + '\\n')",
          "    f.flush()",
          "    for line in f:",
          "        r = json.loads(line)",
          "        f.write(json.dumps({'error': {'class': 'GenericError', 'desc': 'go away'},"
              + " 'id': r.get('id')}) + '\\n'); f.flush()",
          "while True:",
          "    c, _ = s.accept()",
          "    threading.Thread(target=serve, args=(c,), daemon=True).start()");

  @ParameterizedTest
  @ValueSource(strings = {"garbage", "no-version", "refuses"})
  @Timeout(60)
  void anImpostorThatFailsTheNegotiationIsDroppedAndTheWaitGoesOn(String mode) throws Exception {
    Path state = dir.resolve("exec.state");
    Path impostorSocket = dir.resolve("impostor.sock");
    Path link = dir.resolve("qmp.sock");
    pointTo(link, qemu.socketPath());
    Process impostor = startImpostor(BROKEN_IMPOSTOR, impostorSocket, mode);
    qmp.close(); // the fake serves one client at a time
    try (QmpClient viaLink = QmpClient.connect(link)) {
      theImpostorThenQemuAnswerAfterTheExec(link, impostorSocket);
      qemu.server().enqueue("qom-get", Responders.returns("true"));
      List<String> progress = new java.util.concurrent.CopyOnWriteArrayList<>();

      CprExecResult r =
          CprExec.of(viaLink)
              .newCommand(List.of("/bin/sh", "-qmp", "unix:" + link + ",server=on,wait=off"))
              .stateFile(state)
              .progressListener(e -> progress.add(e.message()))
              .run();

      try (QmpClient again = r.client()) {
        assertThat(again.peerProcessId()).hasValue(ProcessHandle.current().pid());
        assertThat(r.runState()).isEqualTo(RunState.RUNNING);
        assertThat(qemu.server().connections()).isEqualTo(3);
        assertThat(progress).anyMatch(m -> m.startsWith("dropped the connection"));
      }
    } finally {
      impostor.destroy();
      impostor.waitFor();
    }
  }

  @Test
  @Timeout(60)
  void onlyAnImpostorThatFailsTheNegotiationUntilTheDeadlineIsAClearFailure() throws Exception {
    Path state = dir.resolve("exec.state");
    Path impostorSocket = dir.resolve("impostor.sock");
    Path link = dir.resolve("qmp.sock");
    pointTo(link, qemu.socketPath());
    Process impostor = startImpostor(BROKEN_IMPOSTOR, impostorSocket, "garbage");
    qmp.close(); // the fake serves one client at a time
    try (QmpClient viaLink = QmpClient.connect(link)) {
      qemu.migrateScript(
          (q, r, x) -> {
            q.startMigration(x);
            q.endMigration(x, "completed", null);
            q.mode("normal");
            q.runState("running");
            try {
              pointTo(link, impostorSocket);
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
            x.disconnect();
            // Past the reconnect's deadline: the rollback's own reconnect then finds QEMU.
            x.later(
                Duration.ofMillis(2500),
                () -> {
                  try {
                    pointTo(link, qemu.socketPath());
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                });
          });
      qemu.server().enqueue("qom-get", Responders.returns("true"));

      CprExecException e =
          catchThrowableOfType(
              CprExecException.class,
              () ->
                  CprExec.of(viaLink)
                      .newCommand(
                          List.of("/bin/sh", "-qmp", "unix:" + link + ",server=on,wait=off"))
                      .stateFile(state)
                      .reconnectTimeout(Duration.ofSeconds(1))
                      .run());

      assertThat(e).isNotNull();
      assertThat(e.phase()).isEqualTo(CprPhase.CONNECT_TARGET);
      assertThat(e.getMessage())
          .contains("only a peer that fails the QMP negotiation", "SSH-2.0")
          .contains("not QEMU (pid " + ProcessHandle.current().pid() + ")");
      assertThat(e.vmLocation()).as(e.getMessage()).isEqualTo(VmLocation.NEW_QEMU);
    } finally {
      impostor.destroy();
      impostor.waitFor();
    }
  }

  /** Starts a Python impostor serving {@code socket}, and waits until the socket is there. */
  private static Process startImpostor(String script, Path socket, String... args)
      throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("python3", "-c", script));
    command.add(socket.toString());
    command.addAll(List.of(args));
    Process impostor = new ProcessBuilder(command).redirectErrorStream(true).start();
    for (int i = 0; i < 500 && !Files.exists(socket); i++) {
      Thread.sleep(10);
    }
    assertThat(socket).exists();
    return impostor;
  }

  /**
   * The migration completes and the old monitor closes, as in a real exec; the path then leads to
   * the impostor first, and 1.5 s later to the fake again, as the new QEMU's monitor.
   */
  private void theImpostorThenQemuAnswerAfterTheExec(Path link, Path impostorSocket) {
    qemu.migrateScript(
        (q, r, x) -> {
          q.startMigration(x);
          q.endMigration(x, "completed", null);
          q.mode("normal");
          q.runState("running");
          try {
            pointTo(link, impostorSocket); // the impostor answers first
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
          x.disconnect();
          x.later(
              Duration.ofMillis(1500),
              () -> {
                try {
                  pointTo(link, qemu.socketPath()); // then the new QEMU
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
        });
  }
}

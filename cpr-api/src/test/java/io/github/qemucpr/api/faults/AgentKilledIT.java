package io.github.qemucpr.api.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprPreflightException;
import io.github.qemucpr.api.CprProgressEvent.Kind;
import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprSaveException;
import io.github.qemucpr.api.PreflightCode;
import io.github.qemucpr.api.SuspendPolicy;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.GuestAgentTimeoutException;
import io.github.qemucpr.qga.command.GuestExec;
import io.github.qemucpr.qga.testing.TestGuest;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.RunState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fault 4: the guest agent is killed inside the guest before a save that must suspend. The test
 * guest's {@code /init} restarts qemu-ga in a loop whenever it exits, so the agent is killed for
 * good: a {@code guest-exec} (through the agent itself) runs a shell that SIGKILLs that loop (the
 * parent of qemu-ga, read from {@code /proc/PID/stat}) and then qemu-ga (its pid file is {@code
 * /run/qga.pid}). Nothing in the guest reads the agent's port afterwards.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AgentKilledIT extends FaultTest {
  private static final String KILL_THE_AGENT =
      "sleep 0.2; a=$(cat /run/qga.pid); loop=$(cut -d' ' -f4 /proc/$a/stat);"
          + " kill -9 $loop; kill -9 $a";

  /** Kills qemu-ga and its restart loop, and waits until the agent no longer answers. */
  private static void killTheAgent(GuestAgentClient qga, Path qgaSocket) {
    qga.exec(GuestExec.of("/bin/sh", "-c", KILL_THE_AGENT));
    sleep(1500);
    try (GuestAgentClient probe = shortSync(qgaSocket)) {
      assertThatThrownBy(probe::sync).isInstanceOf(GuestAgentTimeoutException.class);
    }
  }

  private static GuestAgentClient shortSync(Path qgaSocket) {
    return GuestAgentClient.builder()
        .unixSocket(qgaSocket)
        .syncTimeout(Duration.ofSeconds(2))
        .name("fault-agent")
        .connect();
  }

  @Test
  void beforeTheSaveTheSaveFailsInThePreflight() throws Exception {
    Path state = dir.resolve("guest.state");
    try (TestGuest guest = TestGuest.boot();
        QmpClient qmp = guest.connectQmp()) {
      try (GuestAgentClient qga = guest.connectAgent()) {
        killTheAgent(qga, guest.qgaSocket());
      }
      long heartbeat = guest.awaitHeartbeatAfter(0, Duration.ofSeconds(30));
      try (GuestAgentClient qga = shortSync(guest.qgaSocket())) {
        CprPreflightException e =
            catchThrowableOfType(
                CprPreflightException.class,
                () ->
                    CprReboot.save(qmp)
                        .to(state)
                        .guestAgent(qga)
                        .suspendPolicy(SuspendPolicy.ALWAYS)
                        .progressListener(recordEvents())
                        .run());

        assertThat(e.phase()).isEqualTo(CprPhase.PREFLIGHT);
        assertThat(e.report().errors())
            .extracting(i -> i.code())
            .containsExactly(PreflightCode.GUEST_AGENT_UNREACHABLE);
        // Ended by the agent's 2 s sync timeout, not by a longer wait.
        assertThat(e.report().errors().get(0).message())
            .contains("did not answer guest-sync-delimited within 2 s");
        assertThat(e)
            .hasMessageStartingWith("PREFLIGHT: ")
            .hasMessageContaining("the guest agent does not answer")
            .hasMessageContaining("(run state running)");
        assertThat(e.recovery()).isEqualTo(VmRecovery.UNTOUCHED);
      }
      assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
      assertThat(qmp.execute(new QueryMigrate()).status()).isEqualTo(MigrationStatus.NONE);
      assertThat(guest.awaitHeartbeatAfter(heartbeat + 1, Duration.ofSeconds(30)))
          .isGreaterThan(heartbeat + 1);
      assertThat(dir).isEmptyDirectory();
    }
  }

  /**
   * Killed between the preflight (whose ping it answered) and the suspend: {@code
   * guest-suspend-ram} goes nowhere, no {@code SUSPEND} comes, and the save gives up after its
   * suspend timeout with the VM running as before. The agent never answers again, so nothing shows
   * that the request is over (a qemu-ga started again would read it from the port and suspend the
   * guest): the rollback waits for that, then says so, and the VM needs attention.
   */
  @Test
  void afterThePreflightTheSuspendTimesOut() throws Exception {
    Path state = dir.resolve("guest.state");
    try (TestGuest guest = TestGuest.boot();
        QmpClient qmp = guest.connectQmp();
        GuestAgentClient qga = guest.connectAgent()) {
      CprSaveException e =
          catchThrowableOfType(
              CprSaveException.class,
              () ->
                  CprReboot.save(qmp)
                      .to(state)
                      .guestAgent(qga)
                      .suspendPolicy(SuspendPolicy.ALWAYS)
                      .suspendTimeout(Duration.ofSeconds(5))
                      .progressListener(
                          on(
                              CprPhase.SUSPEND,
                              Kind.STARTED,
                              () -> killTheAgent(qga, guest.qgaSocket())))
                      .run());

      assertThat(e.phase()).isEqualTo(CprPhase.SUSPEND);
      assertThat(e)
          .hasMessageStartingWith("SUSPEND: ")
          .hasMessageContaining("did not suspend within PT5S")
          .hasMessageContaining("qemu-ga")
          .hasMessageContaining("(run state running)");
      assertThat(e.vmState()).isEqualTo(RunState.RUNNING);
      assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
      assertThat(e).hasMessageContaining("may still suspend");
      assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
      assertThat(qmp.execute(new QueryMigrate()).status()).isEqualTo(MigrationStatus.NONE);
      long heartbeat = guest.lastHeartbeat().orElseThrow();
      assertThat(guest.awaitHeartbeatAfter(heartbeat, Duration.ofSeconds(30)))
          .isGreaterThan(heartbeat);
      assertThat(dir).isEmptyDirectory();
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

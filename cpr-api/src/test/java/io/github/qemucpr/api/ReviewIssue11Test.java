package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.qmp.command.RunState;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Issue 11 review: breaks of the "trust at the edges" changes, each failing on the code. */
class ReviewIssue11Test extends FakeQemuTest {

  /**
   * The rollback decides "the guest was suspended" only from the save's own suspend and the run
   * state the preflight read. A guest that suspends itself (S3 from inside, e.g. a hostile guest
   * looping on rtcwake) between the preflight and {@code migrate} is migrated suspended; if the
   * completion is then learned of only in the rollback (events dropped, a timeout), the rollback
   * sends {@code cont} to a postmigrate VM whose guest was suspended, which aborts QEMU 10.0.
   */
  @Test
  void aGuestThatSuspendedItselfBeforeMigrateNeverGetsContAfterACompletedMigration()
      throws Exception {
    qemu.runState = "running";
    FakeQemu.Script silently = FakeQemu.completesSilently();
    qemu.migrate = (q, r, x) -> {
      q.suspendGuest(); // the guest enters S3 on its own just before QEMU starts the migration
      silently.run(q, r, x);
    };
    CprSaveException e = catchThrowableOfType(CprSaveException.class,
        () -> save().phaseTimeout(Duration.ofSeconds(2)).run());
    assertThat(e).isNotNull();
    assertThat(qemu.aborted)
        .as("'cont' after a completed migration of a suspended guest aborts QEMU 10.0").isFalse();
    assertThat(qemu.commandsAfter("migrate")).doesNotContain("cont");
    assertThat(e.vmState()).isEqualTo(RunState.POSTMIGRATE);
    assertThat(stateDirectory()).contains("vm.state");
  }

  /**
   * QEMU completes the migration and dies at once (crash, OOM killer). The completed event is read
   * before the close, but reaches the workflow's watcher only through the listener path, behind a
   * user's listener that is slow for a moment; the watcher gives a close only 300 ms of grace.
   * The rollback then finds QEMU gone with no 'completed' seen, calls the migration NOT_COMPLETED
   * and deletes the .partial, which holds the complete state: with QEMU gone it was the VM's only
   * way back. When QEMU is gone and its completion is not known for certain, the file must stay.
   */
  @Test
  void aQemuThatDiesRightAfterCompletingLeavesItsCompleteStateEvenBehindASlowListener()
      throws Exception {
    qemu.runState = "running";
    qmp.subscribe(ev -> {
      if (ev instanceof io.github.qemucpr.qmp.event.MigrationEvent) {
        try {
          Thread.sleep(700); // a user's listener logging to a slow sink
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        }
      }
    });
    FakeQemu.Script complete = FakeQemu.complete();
    qemu.migrate = (q, r, x) -> {
      complete.run(q, r, x);
      x.disconnect(); // QEMU dies right after 'completed'
    };
    CprSaveException e = catchThrowableOfType(CprSaveException.class, () -> save().run());
    assertThat(e).isNotNull();
    assertThat(stateDirectory()).as("the complete state of a VM whose QEMU is gone: %s",
        e.getMessage()).containsAnyOf("vm.state", "vm.state.partial");
    assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
  }

  /**
   * After a suspend timeout, the rollback takes an answer to guest-ping as proof that the suspend
   * request is over. On a systemd guest it is not: qemu-ga runs {@code systemctl suspend}, which
   * returns as soon as logind has queued the suspend (logind then waits for its delay inhibitors,
   * up to 5 s, and freezes tasks), so the agent answers ping while the suspend is still to come.
   * The rollback reports RESTORED, and the guest then lands in S3, suspended while the caller was
   * told it runs as before.
   */
  @Test
  void aPingAnsweredWhileASystemdSuspendIsQueuedIsNoProofThatTheSuspendIsOver() throws Exception {
    qemu.runState = "running";
    java.util.concurrent.CountDownLatch landed = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.ScheduledExecutorService logind =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    try (io.github.qemucpr.testing.FakeGuestAgent agent =
            io.github.qemucpr.testing.FakeGuestAgent.start();
        io.github.qemucpr.qga.GuestAgentClient qga =
            io.github.qemucpr.qga.GuestAgentClient.connect(agent.socketPath())) {
      agent.always("guest-suspend-ram", (c, r) -> logind.schedule(() -> {
        qemu.suspendGuest();
        landed.countDown();
      }, 1500, java.util.concurrent.TimeUnit.MILLISECONDS));
      CprSaveException e = catchThrowableOfType(CprSaveException.class,
          () -> save().guestAgent(qga).suspendPolicy(SuspendPolicy.ALWAYS)
              .suspendTimeout(Duration.ofMillis(300)).run());
      assertThat(e.phase()).isEqualTo(CprPhase.SUSPEND);
      assertThat(landed.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(qemu.runState).isEqualTo("suspended");
      assertThat(e.recovery())
          .as("the guest is suspended after a rollback that said %s: %s", e.recovery(),
              e.getMessage())
          .isEqualTo(VmRecovery.NEEDS_ATTENTION);
    } finally {
      logind.shutdownNow();
    }
  }
}

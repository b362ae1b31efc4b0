package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprCheckpointException.Reason;
import io.github.qemucpr.qmp.command.RunState;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Issue 11 review: breaks of the "trust at the edges" changes, each failing on the code. */
class ReviewIssue11Test extends FakeQemuTest {

  /**
   * SECURITY.md: a restore refuses "a checkpoint that another restore is loading (each restore
   * holds an exclusive lock on {@code <state>.lock} to its end)". A restore without a manifest (a
   * checkpoint from another tool, or one whose manifest was moved away as the MEMORY_FILE_REPLACED
   * hint says) neither takes nor checks the claim: it loads while another restore of the same
   * checkpoint holds it, onto the same shared RAM.
   */
  @Test
  void aRestoreWithoutAManifestStillRespectsAnotherRestoresClaim() throws Exception {
    qemu.runState = "inmigrate";
    Files.writeString(stateFile, "QEVM state bytes"); // no manifest
    try (LockHolder other = LockHolder.lock(stateFile.resolveSibling("vm.state.lock"))) {
      CprCheckpointException e = catchThrowableOfType(CprCheckpointException.class,
          () -> restore().run());
      assertThat(e).as("the restore loaded although another restore holds the claim; commands %s",
          qemu.commands()).isNotNull();
      assertThat(e.reason()).isEqualTo(Reason.RESTORE_IN_PROGRESS);
      assertThat(qemu.commands()).doesNotContain("migrate-incoming");
    }
  }

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
}

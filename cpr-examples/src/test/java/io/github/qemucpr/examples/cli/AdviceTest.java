package io.github.qemucpr.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.api.CprCheckpointException;
import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprPreflightException;
import io.github.qemucpr.api.CprRestoreException;
import io.github.qemucpr.api.CprSaveException;
import io.github.qemucpr.api.PreflightCode;
import io.github.qemucpr.api.PreflightItem;
import io.github.qemucpr.api.PreflightReport;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.command.RunState;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each failure maps to its exit code, and reads as advice. */
class AdviceTest {
  private static final Path QMP = Path.of("/run/vm1/qmp.sock");
  private static final Path STATE = Path.of("/var/lib/vm1/vm.state");

  private static Advice advice(Throwable e) {
    return Advice.of(e, QMP, STATE);
  }

  @Test
  void aPreflightRefusalExits3AndListsEveryErrorWithItsFix() {
    PreflightReport report =
        new PreflightReport(
            "QEMU 10.0.2",
            List.of(
                new PreflightItem(
                    PreflightCode.CAPABILITY_INCOMPATIBLE,
                    PreflightItem.Severity.ERROR,
                    "postcopy-ram",
                    "cpr-reboot refuses postcopy-ram.",
                    "migrate-set-capabilities postcopy-ram off"),
                new PreflightItem(
                    PreflightCode.STATE_DIRECTORY_MISSING,
                    PreflightItem.Severity.ERROR,
                    "/var/lib/vm1",
                    "The directory does not exist.",
                    "Create it.")),
            0,
            true,
            List.of(),
            false);
    Advice a = advice(new CprPreflightException(report, RunState.RUNNING));
    assertThat(a.status()).isEqualTo(ExitStatus.REFUSED);
    assertThat(a.status().code()).isEqualTo(3);
    assertThat(a.what())
        .contains("2 errors; nothing was changed")
        .contains("CAPABILITY_INCOMPATIBLE [postcopy-ram]")
        .contains("Fix: migrate-set-capabilities postcopy-ram off")
        .contains("STATE_DIRECTORY_MISSING");
    assertThat(a.todo()).contains("cpr check --qmp /run/vm1/qmp.sock --state " + STATE);
  }

  @Test
  void aRefusedCheckpointExits3() {
    Advice a =
        advice(
            new CprCheckpointException(
                "restored already", CprCheckpointException.Reason.ALREADY_RESTORED, STATE, null));
    assertThat(a.status().code()).isEqualTo(3);
    assertThat(a.todo()).contains("--force").contains("This QEMU was not touched");
    assertThat(
            advice(
                    new CprCheckpointException(
                        "gone", CprCheckpointException.Reason.MISSING, STATE, null))
                .todo())
        .contains("--state");
    assertThat(
            advice(
                    new CprCheckpointException(
                        "differs", CprCheckpointException.Reason.TAMPERED, STATE, null))
                .todo())
        .contains("do not restore");
  }

  @Test
  void theLoserOfTwoRestoresAtOnceExits3AndIsToldToWait() {
    Advice a =
        advice(
            new CprCheckpointException(
                "being restored by another restore",
                CprCheckpointException.Reason.RESTORE_IN_PROGRESS,
                STATE,
                null));
    assertThat(a.status().code()).isEqualTo(3);
    assertThat(a.todo())
        .contains("Another restore of this checkpoint is running")
        .contains("This QEMU was not touched")
        .doesNotContain("--force");
  }

  @Test
  void aFifoAtTheLockPathExits3AndIsToldToRemoveIt() {
    Advice a =
        advice(
            new CprCheckpointException(
                "is a FIFO, socket or device",
                CprCheckpointException.Reason.LOCK_FILE_UNUSABLE,
                STATE,
                null));
    assertThat(a.status().code()).isEqualTo(3);
    assertThat(a.todo())
        .contains(STATE + ".lock")
        .contains("remove it")
        .contains("This QEMU was not touched");
  }

  @Test
  void aRolledBackSaveExits4AndSaysTheVmRunsOn() {
    Advice a =
        advice(
            new CprSaveException(
                "the migration failed.",
                CprPhase.MIGRATE,
                "Failed to write: No space left on device",
                RunState.RUNNING,
                VmRecovery.RESTORED,
                false,
                null));
    assertThat(a.status().code()).isEqualTo(4);
    assertThat(a.what()).contains("phase MIGRATE").contains("No space left on device");
    assertThat(a.todo())
        .contains("The VM runs on as before")
        .contains("free space beside " + STATE);
  }

  @Test
  void aSaveThatNeedsAttentionExits5AndSaysWhatToDoWithTheCheckpoint() {
    Advice a =
        advice(
            new CprSaveException(
                "quit failed.",
                CprPhase.QUIT,
                null,
                RunState.POSTMIGRATE,
                VmRecovery.NEEDS_ATTENTION,
                true,
                null));
    assertThat(a.status().code()).isEqualTo(5);
    assertThat(a.what()).contains("run state postmigrate");
    assertThat(a.todo()).contains("is complete").contains("Never both");
  }

  @Test
  void aKeptCheckpointOffersContOnlyForAGuestThatWasNotSuspended() {
    Advice a =
        advice(
            new CprSaveException(
                "interrupted.",
                CprPhase.MIGRATE,
                null,
                RunState.POSTMIGRATE,
                VmRecovery.NEEDS_ATTENTION,
                true,
                null));
    assertThat(a.todo())
        .contains("cpr restore --qmp NEW_SOCKET --state " + STATE)
        .contains("Only if the guest was not suspended");
  }

  @Test
  void aKeptPartialFileIsToBeRestoredAndNotWokenOrContinued() {
    Advice a =
        advice(
            new CprSaveException(
                "the rename failed.",
                CprPhase.PERSIST,
                null,
                RunState.POSTMIGRATE,
                VmRecovery.NEEDS_ATTENTION,
                false,
                null));
    assertThat(a.status().code()).isEqualTo(5);
    assertThat(a.todo())
        .contains("restore from that file")
        .contains("Only if the guest was not suspended")
        .doesNotContain("system_wakeup");
  }

  @Test
  void aRestoreIntoAQemuThatIsNotWaitingIsRefused() {
    Advice a =
        advice(
            new CprRestoreException(
                "QEMU is not in inmigrate.",
                CprPhase.PREPARE,
                null,
                RunState.RUNNING,
                VmRecovery.UNTOUCHED,
                null));
    assertThat(a.status().code()).isEqualTo(3);
    assertThat(a.todo()).contains("-incoming defer");
  }

  @Test
  void aFailedLoadNeedsAttention() {
    Advice a =
        advice(
            new CprRestoreException(
                "the load failed.",
                CprPhase.LOAD,
                "Capability x-ignore-shared is off, but received capability is on",
                RunState.INMIGRATE,
                VmRecovery.NEEDS_ATTENTION,
                null));
    assertThat(a.status().code()).isEqualTo(5);
    assertThat(a.what()).contains("x-ignore-shared");
    assertThat(a.todo()).contains("exactly the saved one's arguments");
  }

  @Test
  void otherFailuresExit1() {
    Advice a = advice(new QmpConnectionClosedException("QEMU went away", null));
    assertThat(a.status()).isEqualTo(ExitStatus.ERROR);
    assertThat(a.todo()).contains("cpr status --qmp /run/vm1/qmp.sock");
    assertThat(ExitStatus.of(new IllegalStateException("x"))).isEqualTo(ExitStatus.ERROR);
  }

  @Test
  void theExitCodesAreThoseOfTheDocumentation() {
    assertThat(ExitStatus.values()).extracting(ExitStatus::code).containsExactly(0, 1, 2, 3, 4, 5);
  }
}

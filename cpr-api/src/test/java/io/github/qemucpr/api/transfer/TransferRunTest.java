package io.github.qemucpr.api.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprPreflightException;
import io.github.qemucpr.api.CprProgressEvent;
import io.github.qemucpr.api.CprTransfer;
import io.github.qemucpr.api.CprTransferBuilder;
import io.github.qemucpr.api.CprTransferException;
import io.github.qemucpr.api.CprTransferException.VmLocation;
import io.github.qemucpr.api.CprTransferResult;
import io.github.qemucpr.api.PreflightCode;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.api.internal.ClientGuard;
import io.github.qemucpr.api.transfer.FakeTransferPair.Target;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.testing.FakeQmpServer.Request;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The transfer state machine and its rollback, against the fake pair. */
class TransferRunTest extends FakeTransferTest {

  private static String channel(JsonNode channels, String type) {
    for (JsonNode c : channels) {
      if (c.path("channel-type").asString().equals(type)) {
        JsonNode addr = c.path("addr");
        return addr.path("transport").asString()
            + "/"
            + addr.path("type").asString()
            + ":"
            + addr.path("path").asString();
      }
    }
    throw new AssertionError("no " + type + " channel in " + channels);
  }

  @Test
  void anOperationRunningOnTheNewQemuRefusesTheTransferBeforeAnythingIsTouched() {
    // Another client of the new QEMU's socket, in a save or check of its own.
    QmpClient other = org.mockito.Mockito.mock(QmpClient.class);
    org.mockito.Mockito.when(other.describePeer()).thenReturn(pair.targetQmp.toString());
    org.mockito.Mockito.when(other.peerProcessId()).thenReturn(java.util.OptionalLong.empty());

    try (ClientGuard busy = ClientGuard.acquire(other, "save")) {
      IllegalStateException e =
          catchThrowableOfType(IllegalStateException.class, () -> transfer().run());

      assertThat(e).hasMessageContaining("save").hasMessageContaining(pair.targetQmp.toString());
    }
    assertThat(pair.sourceCommands())
        .filteredOn(c -> !c.startsWith("query-") && !c.startsWith("qom-"))
        .isEmpty();
    assertThat(pair.runState).isEqualTo("running");
    // Once the other operation ended, the transfer runs.
    try (QmpClient t = transfer().run().target()) {
      assertThat(t.isOpen()).isTrue();
    }
  }

  @Test
  void aTargetWithItsMainChannelOnTheCommandLine() {
    CprTransferResult r = transfer().run();
    try (QmpClient t = r.target()) {
      assertThat(t.isOpen()).isTrue();
      assertThat(r.targetQmp()).isEqualTo(pair.targetQmp);
      // the fake new QEMU runs in this JVM: the peer credentials name this process
      assertThat(r.targetProcessId()).hasValue(ProcessHandle.current().pid());
      assertThat(r.targetState()).isEqualTo(RunState.RUNNING);
      assertThat(r.sourceState()).isEqualTo(RunState.POSTMIGRATE);
      assertThat(r.incomingDeferred()).isFalse();
      assertThat(r.blackoutExact()).isFalse(); // it resumed before its monitor answered
      assertThat(r.blackout()).isPositive();
      assertThat(r.qemuDowntime()).isEqualTo(Duration.ofMillis(2));
      assertThat(r.sourceQuit()).isFalse();
      assertThat(r.phaseDurations())
          .containsOnlyKeys(
              CprPhase.PREFLIGHT,
              CprPhase.PREPARE,
              CprPhase.MIGRATE,
              CprPhase.CONNECT_TARGET,
              CprPhase.LOAD);
    }
    assertThat(pair.sourceCommands())
        .filteredOn(c -> !c.startsWith("query-") && !c.startsWith("qom-"))
        .containsExactly(
            "migrate-set-parameters",
            "migrate-set-parameters",
            "migrate-set-parameters",
            "migrate-set-capabilities",
            "migrate");
    assertThat(pair.sourceRequests("migrate-set-parameters").get(2).argument("mode"))
        .isEqualTo("cpr-transfer");
    Request migrate = pair.sourceRequests("migrate").get(0);
    assertThat(migrate.arguments().has("uri")).isFalse();
    assertThat(migrate.arguments().has("detach")).isFalse();
    assertThat(channel(migrate.arguments().path("channels"), "main"))
        .isEqualTo("socket/unix:" + pair.mainChannel);
    assertThat(channel(migrate.arguments().path("channels"), "cpr"))
        .isEqualTo("socket/unix:" + pair.cprChannel);
    assertThat(pair.targetCommands()).doesNotContain("migrate-incoming", "migrate-set-parameters");
    assertThat(pair.mode).isEqualTo("cpr-transfer"); // the source is done: nothing set back
    assertThat(pair.runState).isEqualTo("postmigrate");
  }

  @Test
  void aResumeSentAsTheTargetsMonitorAnswersIsSeenAndTheBlackoutIsExact() {
    pair.behaviour = Target.RESUMES_AS_ITS_MONITOR_ANSWERS;
    CprTransferResult r = transfer().run();
    r.target().close();
    assertThat(r.targetState()).isEqualTo(RunState.RUNNING);
    assertThat(r.blackoutExact()).isTrue();
    assertThat(r.blackout()).isEqualTo(blackoutSent());
  }

  /** From the source's first STOP to the new QEMU's first RESUME, by the events' own stamps. */
  private Duration blackoutSent() {
    assertThat(pair.firstStopSent).isNotNull();
    assertThat(pair.firstResumeSent).isNotNull();
    return Duration.between(pair.firstStopSent, pair.firstResumeSent);
  }

  @Test
  void aDeferredTargetGetsMigrateIncomingAndAnExactBlackout() {
    pair.behaviour = Target.DEFERRED;
    CprTransferResult r = transfer().run();
    r.target().close();
    assertThat(r.incomingDeferred()).isTrue();
    assertThat(r.blackoutExact()).isTrue();
    assertThat(r.blackout()).isEqualTo(blackoutSent());
    Request incoming = pair.targetRequests("migrate-incoming").get(0);
    assertThat(incoming.arguments().path("exit-on-error").asBoolean(true)).isFalse();
    assertThat(channel(incoming.arguments().path("channels"), "main"))
        .isEqualTo("socket/unix:" + pair.mainChannel);
    assertThat(pair.targetCommands())
        .filteredOn(c -> !c.startsWith("query-"))
        .containsExactly("migrate-incoming");
    assertThat(events)
        .extracting(CprProgressEvent::message)
        .anyMatch(m -> m.contains("-incoming defer"));
  }

  @Test
  void quitSourceAfterTransferQuitsOnlyOnceTheTargetRuns() {
    pair.behaviour = Target.DEFERRED;
    CprTransferResult r = transfer().quitSourceAfterTransfer(true).run();
    r.target().close();
    assertThat(r.sourceQuit()).isTrue();
    assertThat(r.phaseDurations()).containsKey(CprPhase.QUIT);
    assertThat(pair.sourceCommands()).endsWith("quit");
    assertThat(qmp.isOpen()).isFalse();
  }

  /** A transfer that runs {@code action} on its own thread as {@code phase} starts. */
  private CprTransferBuilder transferActingAt(CprPhase phase, Runnable action) {
    return CprTransfer.from(qmp)
        .cprChannel(pair.cprChannel)
        .mainChannel(pair.mainChannel)
        .targetQmp(pair.targetQmp)
        .targetConnectTimeout(Duration.ofSeconds(2))
        .progressListener(
            ev -> {
              events.add(ev);
              if (ev.phase() == phase && ev.kind() == CprProgressEvent.Kind.STARTED) {
                action.run();
              }
            });
  }

  @Test
  void aQuitThatCannotAskTheTargetAfterACompletedTransferIsNotReportedAsUntouched() {
    pair.behaviour = Target.DEFERRED;
    CprTransferException e =
        catchThrowableOfType(
            CprTransferException.class,
            () ->
                transferActingAt(
                        CprPhase.QUIT,
                        () -> {
                          pair.target
                              .disconnect(); // the new QEMU's monitor goes away before the quit's
                          // check
                        })
                    .quitSourceAfterTransfer(true)
                    .run());
    assertThat(e.phase()).isEqualTo(CprPhase.QUIT);
    assertThat(e.recovery())
        .as("the VM moved: not 'nothing was changed'")
        .isEqualTo(VmRecovery.NEEDS_ATTENTION);
    assertThat(e.vmLocation()).isEqualTo(VmLocation.TARGET);
    assertThat(e)
        .hasMessageContaining("The transfer itself completed")
        .hasMessageContaining("Never resume the source");
    assertThat(pair.sourceCommands()).doesNotContain("quit", "cont");
    assertThat(pair.runState).isEqualTo("postmigrate");
  }

  @Test
  void aQuitRefusedAfterACompletedTransferBecauseTheSourceRunsAgainNeedsAttention() {
    pair.behaviour = Target.DEFERRED;
    CprTransferException e =
        catchThrowableOfType(
            CprTransferException.class,
            () ->
                transferActingAt(
                        CprPhase.QUIT,
                        () -> {
                          pair.runState = "running"; // someone resumed the source after the load
                        })
                    .quitSourceAfterTransfer(true)
                    .run());
    assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
    assertThat(e.vmLocation()).isEqualTo(VmLocation.TARGET);
    assertThat(e).hasMessageContaining("the source is running, not postmigrate");
    assertThat(pair.sourceCommands()).doesNotContain("quit");
  }

  @Test
  void thePreflightRefusesWithoutTouchingTheSource() {
    pair.auxRamShare = false;
    CprPreflightException e =
        catchThrowableOfType(CprPreflightException.class, () -> transfer().run());
    assertThat(e.report().has(PreflightCode.AUX_RAM_SHARE_OFF)).isTrue();
    assertThat(e.recovery()).isEqualTo(VmRecovery.UNTOUCHED);
    assertThat(pair.sourceCommands()).doesNotContain("migrate", "migrate-set-capabilities");
    assertThat(pair.mode).isEqualTo("normal");
  }

  @Test
  void migrateRefusedByAGoneTargetIsRolledBack() {
    pair.migrateError = "Failed to connect to '" + pair.cprChannel + "': Connection refused";
    CprTransferException e =
        catchThrowableOfType(CprTransferException.class, () -> transfer().run());
    assertThat(e.phase()).isEqualTo(CprPhase.MIGRATE);
    assertThat(e.vmLocation()).isEqualTo(VmLocation.SOURCE);
    assertThat(e.recovery()).isEqualTo(VmRecovery.RESTORED);
    assertThat(e.vmState()).isEqualTo(RunState.RUNNING);
    assertThat(e.targetState()).isNull();
    assertThat(e.qemuError()).contains("Connection refused");
    assertThat(e).hasMessageContaining("did it exit?").hasMessageContaining("on the source");
    assertThat(pair.mode).isEqualTo("normal");
    assertThat(pair.capabilities.get("events")).isFalse();
    assertThat(pair.sourceCommands()).doesNotContain("migrate_cancel", "cont");
  }

  @Test
  void aSourceRestoredByCprRebootHasXIgnoreSharedTurnedOffForTheTransfer() {
    pair.capabilities.put("x-ignore-shared", true);
    transfer().run().target().close();
    assertThat(pair.sourceRequests("migrate-set-capabilities").get(0).arguments().toString())
        .contains("{\"capability\":\"x-ignore-shared\",\"state\":false}");
    assertThat(pair.capabilities.get("x-ignore-shared")).isFalse();
  }

  @Test
  void aFailedTransferTurnsXIgnoreSharedBackOn() {
    pair.capabilities.put("x-ignore-shared", true);
    pair.migrateError = "Failed to connect to '" + pair.cprChannel + "': Connection refused";
    catchThrowableOfType(CprTransferException.class, () -> transfer().run());
    assertThat(pair.capabilities.get("x-ignore-shared")).isTrue();
    assertThat(pair.capabilities.get("events")).isFalse();
  }

  @Test
  void aTargetThatDiesAfterReadingTheCprStateFailsTheSourceWhichRunsOn() {
    pair.behaviour = Target.DIES_AFTER_CPR;
    CprTransferException e =
        catchThrowableOfType(CprTransferException.class, () -> transfer().run());
    assertThat(e.phase()).isEqualTo(CprPhase.CONNECT_TARGET);
    assertThat(e.vmLocation()).isEqualTo(VmLocation.SOURCE);
    assertThat(e.recovery()).isEqualTo(VmRecovery.RESTORED);
    assertThat(e.qemuError()).contains("main.sock");
    assertThat(e).hasMessageContaining("did the new QEMU exit after it read the cpr channel?");
    assertThat(pair.mode).isEqualTo("normal");
  }

  @Test
  void aTargetThatNeverAnswersIsGivenUpAndTheMigrationCancelled() {
    pair.behaviour = Target.HANGS;
    CprTransferException e =
        catchThrowableOfType(CprTransferException.class, () -> transfer().run());
    assertThat(e.phase()).isEqualTo(CprPhase.CONNECT_TARGET);
    assertThat(e).hasMessageContaining("did not answer within 2000 ms");
    assertThat(e.vmLocation()).isEqualTo(VmLocation.SOURCE);
    assertThat(e.recovery()).isEqualTo(VmRecovery.RESTORED);
    assertThat(pair.sourceCommands()).contains("migrate_cancel");
    assertThat(pair.migration).isEqualTo("cancelled");
    assertThat(pair.mode).isEqualTo("normal");
    assertThat(events).extracting(CprProgressEvent::kind).contains(CprProgressEvent.Kind.ROLLBACK);
  }

  @Test
  void aTargetWhoseLoadFailedNeverRanTheGuestSoTheSourceResumes() {
    pair.behaviour = Target.DEFERRED_LOAD_FAILS;
    CprTransferException e =
        catchThrowableOfType(CprTransferException.class, () -> transfer().run());
    assertThat(e.phase()).isEqualTo(CprPhase.LOAD);
    assertThat(e.qemuError()).isEqualTo("load of migration failed: Invalid argument");
    assertThat(e.vmLocation()).isEqualTo(VmLocation.SOURCE);
    assertThat(e.recovery()).isEqualTo(VmRecovery.RESTORED);
    assertThat(e.targetState()).isEqualTo(RunState.INMIGRATE);
    assertThat(e).hasMessageContaining("quit the new QEMU");
    assertThat(pair.sourceCommands()).contains("cont");
    assertThat(pair.runState).isEqualTo("running");
    assertThat(pair.mode).isEqualTo("normal");
  }

  @Test
  void aTargetThatDiesAfterTheSourceCompletedLeavesTheSourceAloneAndSaysSo() {
    pair.behaviour = Target.DEFERRED_DIES_AFTER_COMPLETION;
    CprTransferException e =
        catchThrowableOfType(CprTransferException.class, () -> transfer().run());
    assertThat(e.phase()).isEqualTo(CprPhase.LOAD);
    assertThat(e.vmLocation()).isEqualTo(VmLocation.UNKNOWN);
    assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
    assertThat(e.vmState()).isEqualTo(RunState.POSTMIGRATE);
    assertThat(e).hasMessageContaining("whether the guest ran there is unknown");
    assertThat(pair.sourceCommands()).doesNotContain("cont");
    assertThat(pair.runState).isEqualTo("postmigrate");
  }

  @Test
  void quitSourceRefusesUntilTheTargetHoldsTheVm() {
    pair.behaviour = Target.DEFERRED;
    CprTransferResult r = transfer().run();
    try (QmpClient t = r.target()) {
      pair.targetRunState = "inmigrate";
      CprTransferException e =
          catchThrowableOfType(
              CprTransferException.class,
              () -> CprTransfer.quitSource(qmp, t, Duration.ofSeconds(5)));
      assertThat(e.phase()).isEqualTo(CprPhase.QUIT);
      assertThat(e.recovery()).isEqualTo(VmRecovery.UNTOUCHED);
      assertThat(e).hasMessageContaining("not confirmed to hold the VM");
      assertThat(pair.sourceCommands()).doesNotContain("quit");

      pair.targetRunState = "running";
      CprTransfer.quitSource(qmp, t, Duration.ofSeconds(5));
      assertThat(pair.sourceCommands()).endsWith("quit");
      assertThat(qmp.isOpen()).isFalse();
    }
  }

  @Test
  void quitSourceRefusesASourceThatStillRuns() {
    try (QmpClient t = QmpClient.connect(pair.target.socketPath())) {
      pair.targetRunState = "running";
      pair.targetMigration = "completed";
      CprTransferException e =
          catchThrowableOfType(
              CprTransferException.class,
              () -> CprTransfer.quitSource(qmp, t, Duration.ofSeconds(5)));
      assertThat(e).hasMessageContaining("the source is running, not postmigrate");
      assertThat(pair.sourceCommands()).doesNotContain("quit");
    }
  }
}

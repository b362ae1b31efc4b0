package io.github.qemucpr.api.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprPreflightException;
import io.github.qemucpr.api.CprProgressEvent.Kind;
import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprRestoreResult;
import io.github.qemucpr.api.CprSaveException;
import io.github.qemucpr.api.CprSaveResult;
import io.github.qemucpr.api.PreflightCode;
import io.github.qemucpr.api.SuspendPolicy;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.testing.TestGuest;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.event.MigrationEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.json.JsonMapper;

/**
 * Fault 1: the source QEMU is killed with SIGKILL at each phase of a save. Each VM first goes
 * through a good save and restore, so that a previous checkpoint (consumed, with its manifest) sits
 * at the path the faulty save writes to. The kills come from the progress listener, which runs on
 * the saving thread at the start of a phase, or from a QMP event listener, which runs before the
 * save's own listeners see the event.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SourceKilledIT extends FaultTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Test
  void duringThePreflight() throws Exception {
    Path state = dir.resolve("vm.state");
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).build();
        QemuInstance source = savedAndRestored(vm, state, List.of());
        QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
      Checkpoint previous = Checkpoint.capture(state);

      CprPreflightException e =
          catchThrowableOfType(
              CprPreflightException.class,
              () ->
                  CprReboot.save(qmp)
                      .to(state)
                      .progressListener(on(CprPhase.PREFLIGHT, Kind.STARTED, source::kill9))
                      .run());

      assertThat(e.phase()).isEqualTo(CprPhase.PREFLIGHT);
      assertThat(e)
          .hasMessageStartingWith("PREFLIGHT: ")
          .hasMessageContaining("query-status failed")
          .hasMessageMatching(CONNECTION_CLOSED)
          .hasMessageContaining("run state unknown");
      assertThat(e.report().errors())
          .extracting(i -> i.code())
          .contains(PreflightCode.QUERY_FAILED);
      assertThat(e.vmState()).isNull();
      assertThat(source.isAlive()).isFalse();
      assertThat(qmp.isOpen()).isFalse();
      previous.assertIntact();
      assertNoPartialFiles(state);
    }
  }

  /**
   * QEMU is frozen (SIGSTOP) as the suspend phase starts, so that the guest cannot suspend, and
   * killed a second later, while the save waits for {@code SUSPEND}.
   */
  @Test
  void whileWaitingForTheGuestToSuspend() throws Exception {
    Path state = dir.resolve("guest.state");
    try (TestGuest first = TestGuest.boot()) {
      try (QmpClient qmp = first.connectQmp();
          GuestAgentClient qga = first.connectAgent()) {
        CprReboot.save(qmp).to(state).guestAgent(qga).suspendPolicy(SuspendPolicy.ALWAYS).run();
      }
      assertThat(first.awaitExit(Duration.ofSeconds(30))).isZero();
      try (TestGuest guest = first.startIncoming()) {
        try (QmpClient qmp = guest.connectQmp()) {
          assertThat(CprReboot.restore(qmp).from(state).run().runState())
              .isEqualTo(RunState.RUNNING);
        }
        guest.awaitAgent(Duration.ofSeconds(30));
        Checkpoint previous = Checkpoint.capture(state);
        Thread killer =
            new Thread(
                () -> {
                  sleep(1000);
                  guest.kill9();
                },
                "fault-killer");

        try (QmpClient qmp = guest.connectQmp();
            GuestAgentClient qga = guest.connectAgent()) {
          CprSaveException e =
              catchThrowableOfType(
                  CprSaveException.class,
                  () ->
                      CprReboot.save(qmp)
                          .to(state)
                          .guestAgent(qga)
                          .suspendPolicy(SuspendPolicy.ALWAYS)
                          .progressListener(
                              on(
                                  CprPhase.SUSPEND,
                                  Kind.STARTED,
                                  () -> {
                                    guest.instance().signal("STOP");
                                    killer.start();
                                  }))
                          .run());
          killer.join();

          assertThat(e.phase()).isEqualTo(CprPhase.SUSPEND);
          assertThat(e)
              .hasMessageStartingWith("SUSPEND: ")
              .hasMessageMatching(CONNECTION_CLOSED)
              .as("ended by the kill, not by the suspend timeout")
              .hasMessageNotContaining("did not suspend within")
              .hasMessageContaining("run state unknown");
          assertThat(e.vmState()).isNull();
          assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
          assertThat(e.checkpointSaved()).isFalse();
        }
        assertThat(guest.isAlive()).isFalse();
        previous.assertIntact();
        assertNoPartialFiles(state);
      }
    }
  }

  /**
   * Copied RAM (memfd, with 8 MiB of random data) and a bandwidth limit of 1 MiB/s make the
   * migration last seconds; QEMU is killed as soon as it reports {@code active}.
   */
  @Test
  void whileTheMigrationIsActive() throws Exception {
    Path state = dir.resolve("vm.state");
    Path blob = Files.write(dir.resolve("blob.bin"), randomBytes(8 << 20, 11));
    List<String> loader =
        List.of("-device", "loader,file=" + blob + ",addr=" + (16L << 20) + ",force-raw=on");
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).memfd().build();
        QemuInstance source = savedAndRestored(vm, state, loader);
        QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
      Checkpoint previous = Checkpoint.capture(state);
      qmp.execute("migrate-set-parameters", JSON.createObjectNode().put("max-bandwidth", 1 << 20));
      AtomicBoolean killed = new AtomicBoolean();
      CprSaveException e;
      // An event wait, not a listener: it kills QEMU (and reaps it) before the save's own event
      // queue gets 'active', whereas a listener may still be reaping QEMU when the save is done.
      try (var killOnActive =
          qmp.expectEvent(
              MigrationEvent.class,
              ev -> {
                boolean active = ev.status().equals(MigrationStatus.ACTIVE);
                if (active && !killed.getAndSet(true)) {
                  source.kill9();
                }
                return active;
              })) {
        e =
            catchThrowableOfType(
                CprSaveException.class,
                () -> CprReboot.save(qmp).to(state).progressListener(recordEvents()).run());
      }

      assertThat(killed).isTrue();
      assertThat(e.phase()).isEqualTo(CprPhase.MIGRATE);
      assertThat(e)
          .hasMessageStartingWith("MIGRATE: ")
          .hasMessageMatching(CONNECTION_CLOSED)
          .hasMessageContaining("run state unknown");
      assertThat(e.vmState()).isNull();
      assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
      assertThat(e.checkpointSaved()).isFalse();
      assertThat(source.isAlive()).isFalse();
      previous.assertIntact();
      // QEMU died with the VM in it, so the save cannot know the migration's end: a state file is
      // never lost, and the .partial stays for an operator to look at (QEMU refuses to load an
      // incomplete one).
      Path partial = state.resolveSibling("vm.state.partial");
      assertThat(partial).exists();
      assertThat(e).hasMessageContaining(partial.toString());
    }
  }

  /**
   * QEMU is killed the moment it reports {@code completed}: the state file is whole, but the save
   * has not confirmed the completion, renamed the file or written the manifest yet. The VM exists
   * nowhere else now, so the save persists that state as the checkpoint, with its manifest, instead
   * of deleting it; it replaces the previous (already consumed) checkpoint.
   */
  @Test
  void rightAfterCompletedBeforeTheManifest() throws Exception {
    Path state = dir.resolve("vm.state");
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).build()) {
      try (QemuInstance source = savedAndRestored(vm, state, List.of());
          QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
        CprManifest previous = CprManifest.read(state).orElseThrow();
        AtomicBoolean killed = new AtomicBoolean();
        CprSaveException e;
        // An event wait, not a listener: waits get each event on the reader thread before the
        // save's own event queue does, while a listener gets it only afterwards, when the save
        // may already have confirmed the completion with QEMU.
        try (var killOnCompleted =
            qmp.expectEvent(
                MigrationEvent.class,
                ev -> {
                  boolean completed = ev.status().equals(MigrationStatus.COMPLETED);
                  if (completed && !killed.getAndSet(true)) {
                    source.kill9();
                  }
                  return completed;
                })) {
          e =
              catchThrowableOfType(
                  CprSaveException.class,
                  () -> CprReboot.save(qmp).to(state).progressListener(recordEvents()).run());
        }

        assertThat(killed).isTrue();
        assertThat(e.phase()).isEqualTo(CprPhase.MIGRATE);
        assertThat(e)
            .hasMessageStartingWith("MIGRATE: ")
            .hasMessageMatching(CONNECTION_CLOSED)
            .hasMessageContaining("kept in " + state + " with its manifest")
            .hasMessageContaining("run state unknown");
        assertThat(e.checkpointSaved()).isTrue();
        assertThat(e.vmState()).isNull();
        assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
        assertThat(source.isAlive()).isFalse();
        assertNoPartialFiles(state);
        CprManifest now = assertValidCheckpoint(state);
        assertThat(now.restored()).isFalse();
        assertThat(now.savedAt()).isAfter(previous.savedAt());
      }
      try (QemuInstance target = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
        CprRestoreResult restored = CprReboot.restore(qmp).from(state).run();
        assertThat(restored.runState()).isEqualTo(RunState.RUNNING);
        assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
      }
    }
  }

  /**
   * Killed once the migration phase is over (the state is complete and QEMU in postmigrate), or as
   * {@code quit} starts: QEMU was about to quit anyway, the persist needs nothing from it, and
   * {@code quit} finds the connection closed as it would after a normal exit. The save succeeds,
   * and its checkpoint restores.
   */
  @ParameterizedTest
  @EnumSource(
      value = CprPhase.class,
      names = {"PERSIST", "QUIT"})
  void onceTheStateIsCompleteTheSaveStillSucceeds(CprPhase phase) throws Exception {
    Path state = dir.resolve("vm.state");
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).build()) {
      try (QemuInstance source = savedAndRestored(vm, state, List.of());
          QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
        CprSaveResult saved =
            CprReboot.save(qmp)
                .to(state)
                .progressListener(on(phase, Kind.STARTED, source::kill9))
                .run();
        assertThat(saved.quit()).isTrue();
        assertThat(source.isAlive()).isFalse();
        assertThat(events).anyMatch(e -> e.phase() == CprPhase.QUIT && e.kind() == Kind.FINISHED);
        assertNoPartialFiles(state);
        assertThat(assertValidCheckpoint(state).restored()).isFalse();
      }
      try (QemuInstance target = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
        assertThat(CprReboot.restore(qmp).from(state).run().runState()).isEqualTo(RunState.RUNNING);
      }
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

package io.github.qemucpr.api.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprProgressEvent.Kind;
import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprRestoreException;
import io.github.qemucpr.api.CprRestoreResult;
import io.github.qemucpr.api.GuestRam;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.event.MigrationEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fault 2: the target QEMU is killed with SIGKILL during a restore. The checkpoint is neither
 * marked restored nor left marked as "restore started" (the VM never ran from it), and a plain
 * retry on a fresh QEMU succeeds.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TargetKilledIT extends FaultTest {

  /**
   * 96 MiB of random RAM (memfd, copied into the state file) make the load last long enough to kill
   * QEMU while it is {@code active}, from a QMP event listener.
   */
  @Test
  void whileTheStateIsLoading() throws Exception {
    Path state = dir.resolve("vm.state");
    byte[] data = GuestRam.randomBytes(96 << 20, 21);
    Path blob = Files.write(dir.resolve("blob.bin"), data);
    long address = 16L << 20;
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(128).memfd().build()) {
      try (QemuInstance source =
              vm.start(
                  List.of("-device", "loader,file=" + blob + ",addr=" + address + ",force-raw=on"),
                  true);
          QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
        CprReboot.save(qmp).to(state).run();
        assertThat(source.awaitExit(Duration.ofSeconds(30))).isZero();
      }
      Files.delete(blob);
      Checkpoint saved = Checkpoint.capture(state);

      try (QemuInstance target = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
        AtomicBoolean killed = new AtomicBoolean();
        qmp.subscribe(
            ev -> {
              if (ev instanceof MigrationEvent
                  && ((MigrationEvent) ev).status().equals(MigrationStatus.ACTIVE)
                  && !killed.getAndSet(true)) {
                target.kill9();
              }
            });
        CprRestoreException e =
            catchThrowableOfType(
                CprRestoreException.class,
                () -> CprReboot.restore(qmp).from(state).progressListener(recordEvents()).run());

        assertThat(killed).isTrue();
        assertThat(e.phase()).isEqualTo(CprPhase.LOAD);
        assertThat(e)
            .hasMessageStartingWith("LOAD: ")
            .hasMessageMatching(CONNECTION_CLOSED)
            .hasMessageContaining("Start a new QEMU with -incoming defer to try again")
            .hasMessageNotContaining("force(true)")
            .hasMessageContaining("run state unknown");
        assertThat(e.vmState()).isNull();
        assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
        assertThat(target.isAlive()).isFalse();
        assertThat(events)
            .noneMatch(ev -> ev.kind() == Kind.PROGRESS && ev.message().contains("completed"));
      }
      // Not marked restored, nor "restore started": byte for byte as saved.
      saved.assertIntact();
      CprManifest m = CprManifest.read(state).orElseThrow();
      assertThat(m.restored()).isFalse();
      assertThat(m.restoreStartedAt()).isNull();

      try (QemuInstance retry = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(retry.qmpSocket())) {
        CprRestoreResult restored = CprReboot.restore(qmp).from(state).run();
        assertThat(restored.runState()).isEqualTo(RunState.RUNNING);
        assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
        assertThat(GuestRam.guestMemory(dir, qmp, address + (40L << 20), 4096))
            .isEqualTo(Arrays.copyOfRange(data, 40 << 20, (40 << 20) + 4096));
        assertThat(CprManifest.read(state).orElseThrow().restored()).isTrue();
      }
    }
  }

  /** Killed as the load phase starts, before {@code migrate-incoming} is sent. */
  @Test
  void beforeMigrateIncoming() throws Exception {
    Path state = dir.resolve("vm.state");
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).build()) {
      try (QemuInstance source = vm.start();
          QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
        CprReboot.save(qmp).to(state).run();
        assertThat(source.awaitExit(Duration.ofSeconds(30))).isZero();
      }
      Checkpoint saved = Checkpoint.capture(state);
      try (QemuInstance target = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
        CprRestoreException e =
            catchThrowableOfType(
                CprRestoreException.class,
                () ->
                    CprReboot.restore(qmp)
                        .from(state)
                        .progressListener(on(CprPhase.LOAD, Kind.STARTED, target::kill9))
                        .run());
        assertThat(e.phase()).isEqualTo(CprPhase.LOAD);
        assertThat(e).hasMessageMatching(CONNECTION_CLOSED).hasMessageNotContaining("force(true)");
        assertThat(target.isAlive()).isFalse();
      }
      saved.assertIntact();
      try (QemuInstance retry = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(retry.qmpSocket())) {
        assertThat(CprReboot.restore(qmp).from(state).run().runState()).isEqualTo(RunState.RUNNING);
      }
    }
  }
}

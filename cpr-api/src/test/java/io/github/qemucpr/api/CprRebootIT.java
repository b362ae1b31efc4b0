package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprCheckpointException.Reason;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.command.ExecResult;
import io.github.qemucpr.qga.testing.TestGuest;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.MigrateSetCapabilities;
import io.github.qemucpr.qmp.command.MigrationCapability;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.QueryMigrateParameters;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.event.QmpEvent;
import io.github.qemucpr.qmp.event.StopEvent;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cpr-reboot workflow against real QEMU 10 (TCG): the cases (a) to (h) of the cpr-api issue. A
 * missing QEMU fails these tests with the command that installs it.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CprRebootIT {
  /** Where the marker goes: 48 MiB into RAM, far from what the firmware touches. */
  private static final long MARKER_OFFSET = 48L << 20;

  private static final List<String> MEASUREMENTS = new CopyOnWriteArrayList<>();

  @TempDir Path dir;

  @AfterAll
  static void printMeasurements() {
    MEASUREMENTS.forEach(m -> System.out.println("CPR-MEASURE " + m));
  }

  private static RunState runState(QmpClient qmp) {
    return qmp.execute(new QueryStatus()).status();
  }

  private static void awaitExit(QemuInstance qemu) {
    assertThat(qemu.awaitExit(Duration.ofSeconds(30))).isZero();
  }

  private static void record(String test, CprSaveResult saved, CprRestoreResult restored) {
    MEASUREMENTS.add(
        String.format(
            "%s: blackout %d ms (STOP or suspend -> state safe), QEMU downtime %s ms,"
                + " state file %d bytes, outage to resume %s ms, phases save %s restore %s",
            test,
            saved.blackout().toMillis(),
            saved.qemuDowntime() == null ? "-" : saved.qemuDowntime().toMillis(),
            saved.bytesWritten(),
            restored.outage() == null ? "-" : restored.outage().toMillis(),
            millis(saved.phaseDurations()),
            millis(restored.phaseDurations())));
  }

  private static String millis(Map<CprPhase, Duration> phases) {
    StringBuilder sb = new StringBuilder();
    phases.forEach((p, d) -> sb.append(p).append('=').append(d.toMillis()).append(' '));
    return sb.toString().trim();
  }

  /** (a) The seed's Example 1 without a guest OS: shared RAM file, save, quit, restore. */
  @Test
  void a_example1SavesAndRestoresWithRamInPlace() throws Exception {
    Path state = dir.resolve("vm.state");
    byte[] marker = GuestRam.randomBytes(4096, 1);
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).name("it-a").build()) {
      Path ram = vm.memoryFile().orElseThrow();
      CprSaveResult saved;
      try (QemuInstance source = vm.start();
          QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
        GuestRam.writeAt(ram, MARKER_OFFSET, marker);
        PreflightReport report = CprReboot.save(qmp).to(state).check();
        assertThat(report.hasErrors()).as(report.toString()).isFalse();
        assertThat(report.memorySavedInPlace()).isTrue();
        saved = CprReboot.save(qmp).to(state).run();
        awaitExit(source);
      }
      assertThat(saved.memorySavedInPlace()).isTrue();
      assertThat(saved.bytesWritten()).isPositive().isLessThan(4L << 20); // RAM stayed in place
      assertThat(state.resolveSibling("vm.state.partial")).doesNotExist();
      assertThat(CprManifest.read(state).orElseThrow().capabilities()).contains("x-ignore-shared");

      try (QemuInstance target = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
        assertThat(runState(qmp)).isEqualTo(RunState.INMIGRATE);
        CprRestoreResult restored = CprReboot.restore(qmp).from(state).run();
        assertThat(restored.runState()).isEqualTo(RunState.RUNNING);
        assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
        assertThat(GuestRam.readAt(ram, MARKER_OFFSET, marker.length)).isEqualTo(marker);
        assertThat(GuestRam.guestMemory(dir, qmp, MARKER_OFFSET, marker.length)).isEqualTo(marker);
        assertThat(CprManifest.read(state).orElseThrow().restored()).isTrue();
        record("(a) example 1, no guest OS", saved, restored);
      }
    }
  }

  /** (b) Example 2 with the real test guest: suspended through the agent, then woken. */
  @Test
  void b_example2SuspendsTheRealGuestAndWakesItWithoutAReboot() throws Exception {
    Path state = dir.resolve("guest.state");
    try (TestGuest guest = TestGuest.boot()) {
      String bootId = guest.bootId().orElseThrow();
      guest.instance().awaitHeartbeatAfter(2, Duration.ofSeconds(30));
      CprSaveResult saved;
      long heartbeatAtSave;
      try (QmpClient qmp = guest.connectQmp();
          GuestAgentClient qga = guest.connectAgent()) {
        saved =
            CprReboot.save(qmp).to(state).guestAgent(qga).suspendPolicy(SuspendPolicy.ALWAYS).run();
        heartbeatAtSave = guest.lastHeartbeat().orElseThrow();
      }
      assertThat(guest.awaitExit(Duration.ofSeconds(30))).isZero();
      assertThat(saved.suspendedByUs()).isTrue();
      assertThat(saved.phaseDurations()).containsKey(CprPhase.SUSPEND);

      try (TestGuest target = guest.startIncoming();
          QmpClient qmp = target.connectQmp();
          GuestAgentClient qga = target.connectAgent()) {
        CprRestoreResult restored = CprReboot.restore(qmp).from(state).run();
        assertThat(restored.wokenUp()).isTrue();
        assertThat(restored.runState()).isEqualTo(RunState.RUNNING);
        long next = target.instance().awaitHeartbeatAfter(heartbeatAtSave, Duration.ofSeconds(30));
        assertThat(next).isGreaterThan(heartbeatAtSave);
        assertThat(target.console()).doesNotContain("boot_id").doesNotContain("heartbeat 1\n");
        qga.sync();
        ExecResult r =
            qga.run("cat", List.of("/proc/sys/kernel/random/boot_id"), Duration.ofSeconds(20));
        assertThat(r.stdout().trim()).isEqualTo(bootId);
        record("(b) example 2, real guest suspended", saved, restored);
      }
    }
  }

  /** (c) RAM that is not shared (memfd) is copied into the state file, and comes back. */
  @Test
  void c_memfdRamIsCopiedIntoTheStateFileAndRestored() throws Exception {
    Path state = dir.resolve("memfd.state");
    byte[] blob = GuestRam.randomBytes(4 << 20, 3);
    Path blobFile = Files.write(dir.resolve("blob.bin"), blob);
    long address = 16L << 20;
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).memfd().build()) {
      CprSaveResult saved;
      // Only the source loads the blob: what the target has afterwards came from the state file.
      try (QemuInstance source =
              vm.start(
                  List.of(
                      "-device", "loader,file=" + blobFile + ",addr=" + address + ",force-raw=on"),
                  true);
          QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
        assertThat(GuestRam.guestMemory(dir, qmp, address, 4096))
            .isEqualTo(java.util.Arrays.copyOf(blob, 4096));
        PreflightReport report = CprReboot.save(qmp).to(state).check();
        assertThat(report.memorySavedInPlace()).isFalse();
        assertThat(report.warnings())
            .extracting(PreflightItem::code)
            .contains(PreflightCode.MEMORY_COPIED);
        saved = CprReboot.save(qmp).to(state).run();
        awaitExit(source);
      }
      assertThat(saved.memorySavedInPlace()).isFalse();
      assertThat(saved.bytesWritten()).isGreaterThan(blob.length);
      assertThat(CprManifest.read(state).orElseThrow().capabilities())
          .doesNotContain("x-ignore-shared");
      try (QemuInstance target = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
        CprRestoreResult restored = CprReboot.restore(qmp).from(state).run();
        assertThat(restored.runState()).isEqualTo(RunState.RUNNING);
        assertThat(GuestRam.guestMemory(dir, qmp, address, blob.length)).isEqualTo(blob);
      }
    }
  }

  /** (d) postcopy-ram on: check() reports it, run() refuses without stopping the VM. */
  @Test
  void d_postcopyIsReportedAndRefusedWithoutStoppingTheVm() throws Exception {
    Path state = dir.resolve("vm.state");
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).build();
        QemuInstance source = vm.start();
        QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
      qmp.execute(MigrateSetCapabilities.enable(MigrationCapability.POSTCOPY_RAM));
      List<QmpEvent> stops = new CopyOnWriteArrayList<>();
      qmp.subscribe(
          e -> {
            if (e instanceof StopEvent) {
              stops.add(e);
            }
          });
      PreflightReport report = CprReboot.save(qmp).to(state).check();
      assertThat(report.errors())
          .extracting(PreflightItem::code, PreflightItem::subject)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple(
                  PreflightCode.CAPABILITY_INCOMPATIBLE, "postcopy-ram"));
      CprPreflightException e =
          catchThrowableOfType(
              CprPreflightException.class, () -> CprReboot.save(qmp).to(state).run());
      assertThat(e.recovery()).isEqualTo(VmRecovery.UNTOUCHED);
      assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
      assertThat(qmp.execute(new QueryMigrate()).status()).isEqualTo(MigrationStatus.NONE);
      assertThat(qmp.execute(new QueryMigrateParameters()).mode().wireName()).isEqualTo("normal");
      assertThat(stops).isEmpty();
      assertThat(dir).isEmptyDirectory();
    }
  }

  /** (e) A 1 MiB tmpfs cannot hold copied RAM: the save fails and everything is put back. */
  @Test
  void e_aFullFileSystemFailsTheSaveAndTheVmRunsAgain() throws Exception {
    Path tiny = Files.createDirectory(dir.resolve("tiny"));
    Process mount =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", tiny.toString())
            .redirectErrorStream(true)
            .start();
    assertThat(mount.waitFor()).as(new String(mount.getInputStream().readAllBytes())).isZero();
    try {
      Path state = tiny.resolve("vm.state");
      byte[] blob = GuestRam.randomBytes(4 << 20, 5);
      Path blobFile = Files.write(dir.resolve("blob.bin"), blob);
      try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).memfd().build();
          QemuInstance source =
              vm.start(
                  List.of(
                      "-device",
                      "loader,file=" + blobFile + ",addr=" + (16L << 20) + ",force-raw=on"),
                  true);
          QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
        PreflightReport report = CprReboot.save(qmp).to(state).check();
        assertThat(report.warnings())
            .extracting(PreflightItem::code)
            .contains(PreflightCode.STATE_FREE_SPACE_LOW);
        CprSaveException e =
            catchThrowableOfType(CprSaveException.class, () -> CprReboot.save(qmp).to(state).run());
        assertThat(e.phase()).isEqualTo(CprPhase.MIGRATE);
        assertThat(e.qemuError()).contains("No space left on device");
        assertThat(e.recovery()).isEqualTo(VmRecovery.RESTORED);
        assertThat(e.vmState()).isEqualTo(RunState.RUNNING);
        assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
        assertThat(qmp.execute(new QueryMigrateParameters()).mode().wireName()).isEqualTo("normal");
        assertThat(source.isAlive()).isTrue();
        assertThat(tiny).isEmptyDirectory(); // no state file, no manifest, no .partial
      }
    } finally {
      new ProcessBuilder("umount", tiny.toString()).inheritIO().start().waitFor();
    }
  }

  /** (f) A truncated checkpoint is refused before QEMU is touched; a corrupt one fails the load. */
  @Test
  void f_truncatedAndCorruptStateFiles() throws Exception {
    Path state = dir.resolve("vm.state");
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).build()) {
      try (QemuInstance source = vm.start();
          QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
        CprReboot.save(qmp).to(state).run();
        awaitExit(source);
      }
      try (FileChannel ch = FileChannel.open(state, StandardOpenOption.WRITE)) {
        ch.truncate(ch.size() / 2);
      }
      try (QemuInstance target = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
        CprCheckpointException e =
            catchThrowableOfType(
                CprCheckpointException.class, () -> CprReboot.restore(qmp).from(state).run());
        assertThat(e.reason()).isEqualTo(Reason.TAMPERED);
        assertThat(e).hasMessageContaining("(truncated)");
        assertThat(runState(qmp)).isEqualTo(RunState.INMIGRATE);
        assertThat(qmp.execute(new QueryMigrate()).status()).isEqualTo(MigrationStatus.NONE);
        assertThat(qmp.execute(new QueryMigrateParameters()).mode().wireName()).isEqualTo("normal");

        Path corrupt = Files.write(dir.resolve("corrupt.state"), GuestRam.randomBytes(300_000, 6));
        CprRestoreException load =
            catchThrowableOfType(
                CprRestoreException.class, () -> CprReboot.restore(qmp).from(corrupt).run());
        assertThat(load.phase()).isEqualTo(CprPhase.LOAD);
        assertThat(load.qemuError()).startsWith("load of migration failed");
        assertThat(load.vmState()).isEqualTo(RunState.INMIGRATE);
        assertThat(target.isAlive()).isTrue();
        assertThat(runState(qmp)).isEqualTo(RunState.INMIGRATE);
      }
    }
  }

  /** (g) A checkpoint is consumed by its first restore. */
  @Test
  void g_aSecondRestoreOfAConsumedCheckpointIsRefused() throws Exception {
    Path state = dir.resolve("vm.state");
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).build()) {
      try (QemuInstance source = vm.start();
          QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
        CprReboot.save(qmp).to(state).run();
        awaitExit(source);
      }
      try (QemuInstance target = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
        CprReboot.restore(qmp).from(state).run();
        qmp.execute("quit", null);
      } catch (io.github.qemucpr.qmp.QmpConnectionClosedException e) {
        // quit closes the connection
      }
      try (QemuInstance again = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(again.qmpSocket())) {
        CprCheckpointException e =
            catchThrowableOfType(
                CprCheckpointException.class, () -> CprReboot.restore(qmp).from(state).run());
        assertThat(e.reason()).isEqualTo(Reason.ALREADY_RESTORED);
        assertThat(runState(qmp)).isEqualTo(RunState.INMIGRATE);
        assertThat(qmp.execute(new QueryMigrate()).status()).isEqualTo(MigrationStatus.NONE);
      }
    }
  }

  /** (h) Three cycles in a row, each saving from the QEMU the previous one restored. */
  @Test
  void h_threeCyclesInARowKeepTheMarker() throws Exception {
    byte[] marker = GuestRam.randomBytes(4096, 8);
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).build()) {
      Path ram = vm.memoryFile().orElseThrow();
      QemuInstance current = vm.start();
      try {
        GuestRam.writeAt(ram, MARKER_OFFSET, marker);
        for (int cycle = 1; cycle <= 3; cycle++) {
          Path state = dir.resolve("cycle" + cycle + ".state");
          try (QmpClient qmp = QmpClient.connect(current.qmpSocket())) {
            CprSaveResult saved = CprReboot.save(qmp).to(state).run();
            assertThat(saved.quit()).isTrue();
          }
          awaitExit(current);
          current.close();
          current = vm.startIncoming();
          try (QmpClient qmp = QmpClient.connect(current.qmpSocket())) {
            CprRestoreResult restored = CprReboot.restore(qmp).from(state).run();
            assertThat(restored.runState()).as("cycle %d", cycle).isEqualTo(RunState.RUNNING);
            assertThat(GuestRam.guestMemory(dir, qmp, MARKER_OFFSET, marker.length))
                .as("cycle %d", cycle)
                .isEqualTo(marker);
          }
          assertThat(CprManifest.read(state).orElseThrow().restored()).isTrue();
        }
      } finally {
        current.close();
      }
    }
  }
}

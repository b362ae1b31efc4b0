package io.github.qemucpr.api.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprPreflightException;
import io.github.qemucpr.api.CprProgressEvent;
import io.github.qemucpr.api.CprProgressListener;
import io.github.qemucpr.api.CprTransfer;
import io.github.qemucpr.api.CprTransferBuilder;
import io.github.qemucpr.api.CprTransferException;
import io.github.qemucpr.api.CprTransferException.VmLocation;
import io.github.qemucpr.api.CprTransferResult;
import io.github.qemucpr.api.GuestRam;
import io.github.qemucpr.api.PreflightCode;
import io.github.qemucpr.api.PreflightItem;
import io.github.qemucpr.api.PreflightReport;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.command.ExecResult;
import io.github.qemucpr.qga.testing.TestGuest;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.MigrationCapability;
import io.github.qemucpr.qmp.command.MigrationCapabilityStatus;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.QueryMigrateCapabilities;
import io.github.qemucpr.qmp.command.QueryMigrateParameters;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.event.QmpEvent;
import io.github.qemucpr.qmp.event.StopEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * cpr-transfer against real QEMU 10 (TCG): the cases of the cpr-transfer issue. Each new QEMU is
 * started with {@link QemuLauncher#startCprTransferTarget}: the source's arguments plus the two
 * {@code -incoming} options. A missing QEMU fails these tests with the command that installs it.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CprTransferIT {
  /** Where markers go: 48 MiB into RAM, far from what the firmware touches. */
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

  private static String mode(QmpClient qmp) {
    return qmp.execute(new QueryMigrateParameters()).mode().wireName();
  }

  private static boolean capability(QmpClient qmp, MigrationCapability capability) {
    for (MigrationCapabilityStatus c : qmp.execute(new QueryMigrateCapabilities())) {
      if (c.capability().equals(capability)) {
        return c.state();
      }
    }
    throw new AssertionError("no capability " + capability);
  }

  private CprTransferBuilder transfer(QmpClient source, QemuInstance target, String tag) {
    return CprTransfer.from(source)
        .cprChannel(dir.resolve(tag + "-cpr.sock"))
        .mainChannel(dir.resolve(tag + "-main.sock"))
        .targetQmp(target.qmpSocket());
  }

  private QemuInstance startTarget(QemuLauncher vm, String tag, boolean deferred) {
    return vm.startCprTransferTarget(
        dir.resolve(tag + "-cpr.sock"), deferred ? null : dir.resolve(tag + "-main.sock"));
  }

  private static void record(String test, CprTransferResult r) {
    MEASUREMENTS.add(
        String.format(
            "%s: blackout %.2f ms (%s, STOP -> RESUME%s), QEMU downtime %s ms, phases %s",
            test,
            r.blackout().toNanos() / 1e6,
            r.blackoutExact() ? "exact" : "upper bound",
            r.incomingDeferred() ? ", -incoming defer" : ", main channel on the command line",
            r.qemuDowntime() == null ? "-" : r.qemuDowntime().toMillis(),
            millis(r.phaseDurations())));
  }

  private static String millis(Map<CprPhase, Duration> phases) {
    StringBuilder sb = new StringBuilder();
    phases.forEach(
        (p, d) ->
            sb.append(p).append('=').append(String.format("%.1f", d.toNanos() / 1e6)).append(' '));
    return sb.toString().trim();
  }

  /**
   * A machine-only VM with a memfd backend and the main channel on the new QEMU's command line. The
   * marker comes from a loader device that only the source has: what the target sees came through
   * the handed-over memfd.
   */
  @Test
  void aMemfdVmMovesToTheNewQemuAndItsRamComesAlong() throws Exception {
    byte[] blob = GuestRam.randomBytes(1 << 20, 1);
    Path blobFile = Files.write(dir.resolve("blob.bin"), blob);
    long address = 16L << 20;
    try (QemuLauncher vm =
            QemuLauncher.builder().memoryMiB(256).memfd().auxRamShare().name("t-memfd").build();
        QemuInstance source =
            vm.start(
                List.of(
                    "-device", "loader,file=" + blobFile + ",addr=" + address + ",force-raw=on"),
                true);
        QmpClient qmp = QmpClient.connect(source.qmpSocket());
        QemuInstance target = startTarget(vm, "a", false)) {
      assertThat(GuestRam.guestMemory(dir, qmp, address, 4096))
          .isEqualTo(Arrays.copyOf(blob, 4096));
      PreflightReport report = transfer(qmp, target, "a").check();
      assertThat(report.hasErrors()).as(report.toString()).isFalse();
      assertThat(report.items()).as(report.toString()).isEmpty();
      assertThat(report.memorySavedInPlace()).isTrue();
      assertThat(mode(qmp)).isEqualTo("normal");

      List<CprProgressEvent> events = new CopyOnWriteArrayList<>();
      Instant before = Instant.now();
      CprTransferResult r = transfer(qmp, target, "a").progressListener(events::add).run();
      Instant after = Instant.now();
      try (QmpClient t = r.target()) {
        assertThat(r.targetState()).isEqualTo(RunState.RUNNING);
        assertThat(r.sourceState()).isEqualTo(RunState.POSTMIGRATE);
        assertThat(runState(t)).isEqualTo(RunState.RUNNING);
        assertThat(runState(qmp)).isEqualTo(RunState.POSTMIGRATE);
        assertThat(r.incomingDeferred()).isFalse();
        assertThat(r.sourceQuit()).isFalse();
        // Within the run, whatever the machine's speed: how long it is, is for the benchmarks.
        assertThat(r.blackout()).isPositive().isLessThan(Duration.between(before, after));
        assertThat(GuestRam.guestMemory(dir, t, address, blob.length)).isEqualTo(blob);
        assertThat(r.phaseDurations().keySet())
            .containsExactly(
                CprPhase.PREFLIGHT,
                CprPhase.PREPARE,
                CprPhase.MIGRATE,
                CprPhase.CONNECT_TARGET,
                CprPhase.LOAD);
        assertThat(events).extracting(CprProgressEvent::phase).allMatch(CprPhase::isTransferPhase);
        assertThat(source.isAlive()).isTrue();
        record("memfd, 256 MiB, no guest OS", r);
      }
    }
  }

  /**
   * A QEMU restored by cpr-reboot keeps x-ignore-shared on; a cpr-transfer from it must turn it
   * off, or the new QEMU's load fails on the mismatch. The repeated-upgrade case: reboot-restore,
   * then transfer.
   */
  @Test
  void aQemuRestoredByCprRebootTransfersOnward() throws Exception {
    byte[] marker = GuestRam.randomBytes(4096, 7);
    Path state = dir.resolve("vm.state");
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(128).auxRamShare().build()) {
      try (QemuInstance first = vm.start();
          QmpClient qmp = QmpClient.connect(first.qmpSocket())) {
        GuestRam.writeAt(vm.memoryFile().orElseThrow(), MARKER_OFFSET, marker);
        io.github.qemucpr.api.CprReboot.save(qmp).to(state).run();
        first.awaitExit(Duration.ofSeconds(30));
      }
      try (QemuInstance restored = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(restored.qmpSocket())) {
        io.github.qemucpr.api.CprReboot.restore(qmp).from(state).run();
        assertThat(capability(qmp, MigrationCapability.X_IGNORE_SHARED)).isTrue();
        try (QemuInstance target = startTarget(vm, "r", true)) {
          CprTransferResult r = transfer(qmp, target, "r").run();
          try (QmpClient t = r.target()) {
            assertThat(r.targetState()).isEqualTo(RunState.RUNNING);
            assertThat(runState(qmp)).isEqualTo(RunState.POSTMIGRATE);
            assertThat(GuestRam.guestMemory(dir, t, MARKER_OFFSET, marker.length))
                .isEqualTo(marker);
          }
        }
      }
    }
  }

  /** A shared file backend with -incoming defer: the marker written into the file is intact. */
  @Test
  void aFileBackedVmKeepsItsMarkerAndDeferredIncomingGivesAnExactBlackout() throws Exception {
    byte[] marker = GuestRam.randomBytes(4096, 2);
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(256).auxRamShare().build();
        QemuInstance source = vm.start();
        QmpClient qmp = QmpClient.connect(source.qmpSocket());
        QemuInstance target = startTarget(vm, "b", true)) {
      GuestRam.writeAt(vm.memoryFile().orElseThrow(), MARKER_OFFSET, marker);
      assertThat(GuestRam.guestMemory(dir, qmp, MARKER_OFFSET, marker.length)).isEqualTo(marker);
      CprTransferResult r = transfer(qmp, target, "b").run();
      try (QmpClient t = r.target()) {
        assertThat(r.incomingDeferred()).isTrue();
        assertThat(r.blackoutExact()).isTrue();
        assertThat(r.targetState()).isEqualTo(RunState.RUNNING);
        assertThat(runState(qmp)).isEqualTo(RunState.POSTMIGRATE);
        assertThat(GuestRam.guestMemory(dir, t, MARKER_OFFSET, marker.length)).isEqualTo(marker);
        record("shared file, 256 MiB, no guest OS", r);

        CprTransfer.quitSource(qmp, t, Duration.ofSeconds(30));
        assertThat(source.awaitExit(Duration.ofSeconds(30))).isZero();
        assertThat(runState(t)).isEqualTo(RunState.RUNNING);
      }
    }
  }

  /**
   * The real test guest with its agent, not suspended: the same boot, the heartbeat goes on in the
   * new QEMU's console, and the agent answers on the new QEMU's own socket.
   */
  @Test
  void theRealGuestMovesWithoutARebootAndItsAgentAnswersOnTheNewSocket() throws Exception {
    try (TestGuest guest = TestGuest.builder().auxRamShare().start()) {
      String bootId = guest.bootId().orElseThrow();
      long beat = guest.instance().awaitHeartbeatAfter(2, Duration.ofSeconds(30));
      try (TestGuest next = guest.startCprTransferTarget(dir.resolve("g-cpr.sock"), null);
          QmpClient qmp = guest.connectQmp()) {
        CprTransferResult r =
            CprTransfer.from(qmp)
                .cprChannel(dir.resolve("g-cpr.sock"))
                .mainChannel(dir.resolve("g-main.sock"))
                .targetQmp(next.qmpSocket())
                .quitSourceAfterTransfer(true)
                .run();
        try (QmpClient t = r.target();
            GuestAgentClient qga = next.connectAgent()) {
          assertThat(r.sourceQuit()).isTrue();
          assertThat(guest.awaitExit(Duration.ofSeconds(30))).isZero();
          assertThat(r.targetState()).isEqualTo(RunState.RUNNING);
          long after = next.awaitHeartbeatAfter(0, Duration.ofSeconds(30));
          assertThat(after).isGreaterThan(beat);
          assertThat(next.console()).doesNotContain("boot_id");
          qga.sync();
          ExecResult cat =
              qga.run("cat", List.of("/proc/sys/kernel/random/boot_id"), Duration.ofSeconds(20));
          assertThat(cat.stdout().trim()).isEqualTo(bootId);
          assertThat(next.awaitHeartbeatAfter(after, Duration.ofSeconds(30))).isGreaterThan(after);
          record("test guest with agent", r);
        }
      }
    }
  }

  /** Without aux-ram-share the preflight refuses, and the VM is untouched. */
  @Test
  void withoutAuxRamShareThePreflightRefusesAndTheVmIsUntouched() throws Exception {
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).memfd().build();
        QemuInstance source = vm.start();
        QmpClient qmp = QmpClient.connect(source.qmpSocket());
        QemuInstance target = startTarget(vm, "c", true)) {
      List<QmpEvent> stops = new CopyOnWriteArrayList<>();
      qmp.subscribe(
          e -> {
            if (e instanceof StopEvent) {
              stops.add(e);
            }
          });
      CprPreflightException e =
          catchThrowableOfType(CprPreflightException.class, () -> transfer(qmp, target, "c").run());
      assertThat(e.recovery()).isEqualTo(VmRecovery.UNTOUCHED);
      assertThat(e.phase()).isEqualTo(CprPhase.PREFLIGHT);
      assertThat(e.report().errors())
          .extracting(PreflightItem::code)
          .contains(PreflightCode.AUX_RAM_SHARE_OFF, PreflightCode.MIGRATION_BLOCKED)
          .doesNotContain(PreflightCode.CPR_CHANNEL_NOT_LISTENING);
      assertThat(e.report().errors())
          .filteredOn(i -> i.code() == PreflightCode.MIGRATION_BLOCKED)
          .first()
          .extracting(PreflightItem::message)
          .asString()
          .contains("pc.bios", "aux-ram-share=on is required");
      assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
      assertThat(mode(qmp)).isEqualTo("normal");
      assertThat(capability(qmp, MigrationCapability.EVENTS)).isFalse();
      assertThat(qmp.execute(new QueryMigrate()).status()).isEqualTo(MigrationStatus.NONE);
      assertThat(stops).isEmpty();
      assertThat(target.isAlive()).isTrue(); // still waiting on its cpr channel, untouched
    }
  }

  /** A new QEMU killed before it read the cpr channel: migrate fails at once, the VM runs on. */
  @Test
  void aTargetKilledBeforeItReadTheCprChannelLeavesTheSourceRunning() throws Exception {
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).memfd().auxRamShare().build();
        QemuInstance source = vm.start();
        QmpClient qmp = QmpClient.connect(source.qmpSocket());
        QemuInstance target = startTarget(vm, "d", false)) {
      target.kill9();
      CprTransferException e =
          catchThrowableOfType(CprTransferException.class, () -> transfer(qmp, target, "d").run());
      assertThat(e.phase()).isEqualTo(CprPhase.MIGRATE);
      assertThat(e.vmLocation()).isEqualTo(VmLocation.SOURCE);
      assertThat(e.recovery()).isEqualTo(VmRecovery.RESTORED);
      assertThat(e.vmState()).isEqualTo(RunState.RUNNING);
      assertThat(e.qemuError()).contains("d-cpr.sock", "Connection refused");
      assertThat(e).hasMessageContaining("The VM is on the source");
      assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
      assertThat(mode(qmp)).isEqualTo("normal");
      assertThat(capability(qmp, MigrationCapability.EVENTS)).isFalse();
    }
  }

  /**
   * A new QEMU (with -incoming defer) killed after it read the cpr channel, as its monitor appears:
   * the source's migration fails when it cannot reach the main channel, and runs on.
   */
  @Test
  void aTargetKilledAfterItReadTheCprChannelLeavesTheSourceRunning() throws Exception {
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).memfd().auxRamShare().build();
        QemuInstance source = vm.start();
        QmpClient qmp = QmpClient.connect(source.qmpSocket());
        QemuInstance target = startTarget(vm, "e", true)) {
      CprProgressListener killer =
          ev -> {
            if (ev.phase() == CprPhase.MIGRATE && ev.kind() == CprProgressEvent.Kind.FINISHED) {
              target.awaitFile(target.qmpSocket(), Duration.ofSeconds(10)); // it read the cpr state
              target.kill9();
            }
          };
      CprTransferException e =
          catchThrowableOfType(
              CprTransferException.class,
              () -> transfer(qmp, target, "e").progressListener(killer).run());
      assertThat(target.isAlive()).isFalse();
      assertThat(e.phase()).isIn(CprPhase.CONNECT_TARGET, CprPhase.LOAD);
      assertThat(e.vmLocation()).isEqualTo(VmLocation.SOURCE);
      assertThat(e.recovery()).isEqualTo(VmRecovery.RESTORED);
      assertThat(e.vmState()).isEqualTo(RunState.RUNNING);
      assertThat(e.qemuError()).contains("e-main.sock");
      assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
      assertThat(mode(qmp)).isEqualTo("normal");
      assertThat(qmp.execute(new QueryMigrate()).status()).isEqualTo(MigrationStatus.FAILED);
    }
  }

  /** A new QEMU that hangs (SIGSTOP) never answers: the migration is cancelled, the VM runs on. */
  @Test
  void aTargetThatNeverAnswersIsGivenUpAndTheMigrationCancelled() throws Exception {
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).memfd().auxRamShare().build();
        QemuInstance source = vm.start();
        QmpClient qmp = QmpClient.connect(source.qmpSocket());
        QemuInstance target = startTarget(vm, "f", true)) {
      target.signal("STOP");
      try {
        CprTransferException e =
            catchThrowableOfType(
                CprTransferException.class,
                () -> transfer(qmp, target, "f").targetConnectTimeout(Duration.ofSeconds(2)).run());
        assertThat(e.phase()).isEqualTo(CprPhase.CONNECT_TARGET);
        assertThat(e.vmLocation()).isEqualTo(VmLocation.SOURCE);
        assertThat(e.recovery()).isEqualTo(VmRecovery.RESTORED);
        assertThat(e).hasMessageContaining("did not answer within 2000 ms");
        assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
        assertThat(qmp.execute(new QueryMigrate()).status()).isEqualTo(MigrationStatus.CANCELLED);
        assertThat(mode(qmp)).isEqualTo("normal");
      } finally {
        target.signal("CONT");
      }
    }
  }

  /** Two transfers in a row, A to B to C, each from the QEMU the previous one moved the VM to. */
  @Test
  void twoTransfersInARow() throws Exception {
    byte[] blob = GuestRam.randomBytes(1 << 20, 3);
    Path blobFile = Files.write(dir.resolve("blob.bin"), blob);
    long address = 16L << 20;
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(128).memfd().auxRamShare().build()) {
      List<QemuInstance> qemus = new ArrayList<>();
      try {
        qemus.add(
            vm.start(
                List.of(
                    "-device", "loader,file=" + blobFile + ",addr=" + address + ",force-raw=on"),
                true));
        QmpClient current = QmpClient.connect(qemus.get(0).qmpSocket());
        try {
          for (String hop : List.of("ab", "bc")) {
            QemuInstance next = startTarget(vm, hop, hop.equals("bc"));
            qemus.add(next);
            CprTransferResult r = transfer(current, next, hop).run();
            assertThat(r.targetState()).as(hop).isEqualTo(RunState.RUNNING);
            CprTransfer.quitSource(current, r.target(), Duration.ofSeconds(30));
            current.close();
            current = r.target();
            assertThat(GuestRam.guestMemory(dir, current, address, blob.length))
                .as(hop)
                .isEqualTo(blob);
            record("hop " + hop, r);
          }
          // quitSource returns once the monitor connection closed; the process exits right after
          assertThat(qemus.get(0).awaitExit(Duration.ofSeconds(30))).isZero();
          assertThat(qemus.get(1).awaitExit(Duration.ofSeconds(30))).isZero();
          assertThat(runState(current)).isEqualTo(RunState.RUNNING);
        } finally {
          current.close();
        }
      } finally {
        qemus.forEach(QemuInstance::close);
      }
    }
  }
}

package io.github.qemucpr.qmp.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.EventWait;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.Subscription;
import io.github.qemucpr.qmp.command.Migrate;
import io.github.qemucpr.qmp.command.MigrateCancel;
import io.github.qemucpr.qmp.command.MigrateIncoming;
import io.github.qemucpr.qmp.command.MigrateSetCapabilities;
import io.github.qemucpr.qmp.command.MigrateSetParameters;
import io.github.qemucpr.qmp.command.MigrationCapability;
import io.github.qemucpr.qmp.command.MigrationInfo;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.Quit;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.command.RunStatus;
import io.github.qemucpr.qmp.event.MigrationEvent;
import io.github.qemucpr.qmp.event.ShutdownEvent;
import io.github.qemucpr.qmp.testing.QemuProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Migrations with real QEMUs: one source that is cancelled, then saved to a file; a second QEMU
 * that restores the file; a third that fails to load garbage and stays alive. The steps run in
 * order because each needs the state the previous one left.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MigrationIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir static Path tmp;

  private static QemuProcess source;
  private static QmpClient qmp;

  @BeforeAll
  static void startSource() {
    source = QemuProcess.builder().name("migration-source").start();
    qmp = source.connect();
    qmp.execute(MigrateSetCapabilities.enable(MigrationCapability.EVENTS));
  }

  @AfterAll
  static void stopSource() {
    if (qmp != null) {
      qmp.close();
    }
    if (source != null) {
      source.close();
    }
  }

  @Test
  @Order(1)
  void migrateCancelStopsAMigrationAndTheVmRunsOn() {
    // 64 KiB/s makes the migration of ~1 MB last long enough to cancel it while it is active.
    qmp.execute(MigrateSetParameters.builder().maxBandwidth(64 << 10).build());
    try (EventWait<MigrationEvent> active =
            qmp.expectEvent(MigrationEvent.class, e -> e.status().equals(MigrationStatus.ACTIVE));
        EventWait<MigrationEvent> cancelled =
            qmp.expectEvent(
                MigrationEvent.class, e -> e.status().equals(MigrationStatus.CANCELLED))) {
      qmp.execute(Migrate.toUri("file:" + tmp.resolve("cancelled.state")));
      active.await(TIMEOUT);
      assertThat(qmp.execute(new QueryMigrate()).status()).isEqualTo(MigrationStatus.ACTIVE);
      qmp.execute(new MigrateCancel());
      cancelled.await(TIMEOUT);
    } finally {
      qmp.execute(MigrateSetParameters.builder().maxBandwidth(128L << 20).build());
    }
    assertThat(qmp.execute(new QueryMigrate()).status()).isEqualTo(MigrationStatus.CANCELLED);
    assertThat(qmp.execute(new QueryStatus())).isEqualTo(new RunStatus(true, RunState.RUNNING));
  }

  @Test
  @Order(2)
  void migrateToFileEmitsSetupThroughCompleted() throws Exception {
    Path state = tmp.resolve("vm.state");
    List<MigrationStatus> seen = new CopyOnWriteArrayList<>();
    Subscription sub =
        qmp.subscribe(
            e -> {
              if (e instanceof MigrationEvent m) {
                seen.add(m.status());
              }
            });
    try (EventWait<MigrationEvent> done =
        qmp.expectEvent(MigrationEvent.class, e -> e.status().isFinished())) {
      qmp.execute(Migrate.toFile(state));
      assertThat(done.await(TIMEOUT).status()).isEqualTo(MigrationStatus.COMPLETED);
      // Waits run before listeners on the event thread: let the listener catch up.
      long deadline = System.nanoTime() + 2_000_000_000L;
      while (!seen.contains(MigrationStatus.COMPLETED) && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
    } finally {
      sub.close();
    }
    assertThat(seen)
        .startsWith(MigrationStatus.SETUP)
        .containsSubsequence(
            MigrationStatus.SETUP,
            MigrationStatus.ACTIVE,
            MigrationStatus.DEVICE,
            MigrationStatus.COMPLETED)
        .endsWith(MigrationStatus.COMPLETED);

    MigrationInfo info = qmp.execute(new QueryMigrate());
    assertThat(info.status()).isEqualTo(MigrationStatus.COMPLETED);
    assertThat(info.errorDesc()).isNull();
    assertThat(info.totalTime()).isNotNull().isPositive();
    assertThat(info.downtime()).isNotNull().isNotNegative();
    assertThat(info.setupTime()).isNotNull().isNotNegative();
    assertThat(info.ram()).isNotNull();
    assertThat(info.ram().total()).isGreaterThanOrEqualTo(64L << 20);
    assertThat(info.ram().transferred()).isPositive();
    assertThat(info.ram().remaining()).isZero();
    assertThat(info.ram().pageSize()).isEqualTo(4096);
    assertThat(info.ram().mbps()).isPositive();
    assertThat(Files.size(state)).isEqualTo(info.ram().transferred());
    assertThat(qmp.execute(new QueryStatus()))
        .isEqualTo(new RunStatus(false, RunState.POSTMIGRATE));
  }

  @Test
  @Order(3)
  void migrateIncomingRestoresTheSavedStateThenQuitEndsQemu() {
    Path state = tmp.resolve("vm.state");
    assertThat(state).isNotEmptyFile();
    try (QemuProcess dest = QemuProcess.builder().name("migration-dest").incomingDefer().start();
        QmpClient in = dest.connect()) {
      assertThat(in.execute(new QueryStatus()).status()).isEqualTo(RunState.INMIGRATE);
      in.execute(MigrateSetCapabilities.enable(MigrationCapability.EVENTS));
      try (EventWait<MigrationEvent> done =
          in.expectEvent(MigrationEvent.class, e -> e.status().isFinished())) {
        in.execute(MigrateIncoming.fromFile(state).withExitOnError(false));
        assertThat(done.await(TIMEOUT).status()).isEqualTo(MigrationStatus.COMPLETED);
      }
      // The source ran when the migration started, so the destination starts the VM.
      assertThat(in.execute(new QueryStatus())).isEqualTo(new RunStatus(true, RunState.RUNNING));

      try (EventWait<ShutdownEvent> shutdown = in.expectEvent(ShutdownEvent.class, e -> true)) {
        in.execute(new Quit());
        assertThat(shutdown.await(TIMEOUT).reason()).isEqualTo("host-qmp-quit");
      }
      assertThat(dest.awaitExit(Duration.ofSeconds(10))).isZero();
    }
  }

  @Test
  @Order(4)
  void failedIncomingWithExitOnErrorFalseLeavesQemuAliveWithErrorDesc() throws IOException {
    Path garbage =
        Files.writeString(tmp.resolve("garbage.state"), "this is not a migration stream");
    try (QemuProcess dest = QemuProcess.builder().name("migration-bad").incomingDefer().start();
        QmpClient in = dest.connect()) {
      in.execute(MigrateSetCapabilities.enable(MigrationCapability.EVENTS));
      try (EventWait<MigrationEvent> done =
          in.expectEvent(MigrationEvent.class, e -> e.status().isFinished())) {
        in.execute(MigrateIncoming.fromUri("file:" + garbage).withExitOnError(false));
        assertThat(done.await(TIMEOUT).status()).isEqualTo(MigrationStatus.FAILED);
      }
      MigrationInfo info = in.execute(new QueryMigrate());
      assertThat(info.status()).isEqualTo(MigrationStatus.FAILED);
      assertThat(info.errorDesc()).isNotBlank();
      assertThat(dest.isAlive()).isTrue();
      assertThat(in.isOpen()).isTrue();
    }
  }
}

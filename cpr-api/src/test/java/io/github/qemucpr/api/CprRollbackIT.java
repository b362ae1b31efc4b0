package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.command.ExecResult;
import io.github.qemucpr.qga.testing.TestGuest;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.Subscription;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.QueryFdsets;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.event.MigrationEvent;
import io.github.qemucpr.qmp.event.SuspendEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rollbacks against real QEMU 10, beyond the list: what QEMU itself does after a failed
 * migration of a suspended guest, and failures after a completed migration (injected through the
 * progress listener, which runs on the saving thread when the PERSIST phase starts).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CprRollbackIT {
  @TempDir Path dir;

  private static RunState runState(QmpClient qmp) {
    return qmp.execute(new QueryStatus()).status();
  }

  /** A listener that puts a directory where the state file is to be renamed to. */
  private static CprProgressListener blockTheRenameOnto(Path state) {
    return e -> {
      if (e.phase() == CprPhase.PERSIST && e.kind() == CprProgressEvent.Kind.STARTED) {
        try {
          Files.createDirectory(state);
        } catch (IOException x) {
          throw new UncheckedIOException(x);
        }
      }
    };
  }

  @Test
  void aSuspendedGuestWhoseMigrationFailsIsWokenAndRunsOn() throws Exception {
    Path tiny = Files.createDirectory(dir.resolve("tiny"));
    Process mount =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=100k", "tmpfs", tiny.toString())
            .redirectErrorStream(true)
            .start();
    assertThat(mount.waitFor()).isZero();
    try (TestGuest guest = TestGuest.boot();
        QmpClient qmp = guest.connectQmp();
        GuestAgentClient qga = guest.connectAgent()) {
      long before = guest.instance().awaitHeartbeatAfter(1, Duration.ofSeconds(30));
      CprSaveException e =
          catchThrowableOfType(
              CprSaveException.class,
              () ->
                  CprReboot.save(qmp)
                      .to(tiny.resolve("vm.state"))
                      .guestAgent(qga)
                      .suspendPolicy(SuspendPolicy.ALWAYS)
                      .run());
      assertThat(e.phase()).isEqualTo(CprPhase.MIGRATE);
      assertThat(e.qemuError()).contains("No space left on device");
      assertThat(e.recovery()).as(e.toString()).isEqualTo(VmRecovery.RESTORED);
      assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
      assertThat(tiny).isEmptyDirectory();
      assertThat(guest.instance().awaitHeartbeatAfter(before + 1, Duration.ofSeconds(30)))
          .isGreaterThan(before + 1);
      qga.sync(); // the agent answers again
    } finally {
      new ProcessBuilder("umount", tiny.toString()).inheritIO().start().waitFor();
    }
  }

  @Test
  void aRunningVmIsContinuedAfterAFailureFollowingACompletedMigration() throws Exception {
    Path state = dir.resolve("vm.state");
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).build();
        QemuInstance source = vm.start();
        QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
      CprSaveException e =
          catchThrowableOfType(
              CprSaveException.class,
              () ->
                  CprReboot.save(qmp).to(state).progressListener(blockTheRenameOnto(state)).run());
      assertThat(e.phase()).isEqualTo(CprPhase.PERSIST);
      assertThat(e.recovery()).as(e.toString()).isEqualTo(VmRecovery.RESTORED);
      assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
      assertThat(source.isAlive()).isTrue();
      assertThat(dir.resolve("vm.state.partial")).doesNotExist();
      assertThat(dir.resolve("vm.state.json")).doesNotExist();
    }
  }

  @Test
  void aSuspendedGuestAfterACompletedMigrationKeepsItsStateWhichThenRestores() throws Exception {
    Path state = dir.resolve("vm.state");
    try (TestGuest guest = TestGuest.boot()) {
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
                        .progressListener(blockTheRenameOnto(state))
                        .run());
        assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
        assertThat(e).hasMessageContaining("kept in " + state + ".partial");
        // No 'cont' was sent: QEMU 10.0 would abort on it. QEMU is alive, in postmigrate.
        assertThat(guest.isAlive()).isTrue();
        assertThat(runState(qmp)).isEqualTo(RunState.POSTMIGRATE);
        qmp.execute("quit", null);
      } catch (io.github.qemucpr.qmp.QmpConnectionClosedException closed) {
        // quit closes the connection
      }
      guest.awaitExit(Duration.ofSeconds(30));
      Path kept = dir.resolve("vm.state.partial");
      try (TestGuest target = guest.startIncoming();
          QmpClient qmp = target.connectQmp()) {
        CprRestoreResult restored = CprReboot.restore(qmp).from(kept).run();
        assertThat(restored.runState()).isEqualTo(RunState.RUNNING); // no manifest: woken
        assertThat(target.instance().awaitHeartbeatAfter(0, Duration.ofSeconds(30))).isPositive();
        assertThat(target.console()).doesNotContain("boot_id");
      }
    }
  }

  /**
   * The guest suspends itself (here through its agent, as rtcwake or a hostile guest would from
   * inside) after the save's preflight read "running", and the save, which did not suspend it, then
   * fails after the migration completed. QEMU 10.0 aborts on 'cont' to this postmigrate VM
   * ("invalid runstate transition: 'postmigrate' -> 'suspended'"): the rollback must not send it.
   */
  @Test
  void aGuestThatSuspendedItselfAfterThePreflightNeverGetsContAfterACompletedMigration()
      throws Exception {
    Path state = dir.resolve("vm.state");
    try (TestGuest guest = TestGuest.boot();
        QmpClient qmp = guest.connectQmp();
        GuestAgentClient qga = guest.connectAgent()) {
      CountDownLatch suspended = new CountDownLatch(1);
      CprProgressListener blockTheRename = blockTheRenameOnto(state);
      CprSaveException e;
      try (Subscription s =
          qmp.subscribe(
              ev -> {
                if (ev instanceof SuspendEvent) {
                  suspended.countDown();
                }
              })) {
        e =
            catchThrowableOfType(
                CprSaveException.class,
                () ->
                    CprReboot.save(qmp)
                        .to(state)
                        .progressListener(
                            ev -> {
                              if (ev.phase() == CprPhase.PREFLIGHT
                                  && ev.kind() == CprProgressEvent.Kind.FINISHED) {
                                qga.executeAsync(
                                    new io.github.qemucpr.qga.command.GuestSuspendRam(),
                                    Duration.ofSeconds(30));
                                try {
                                  assertThat(suspended.await(60, TimeUnit.SECONDS))
                                      .as("the guest suspends")
                                      .isTrue();
                                } catch (InterruptedException x) {
                                  Thread.currentThread().interrupt();
                                }
                              }
                              blockTheRename.onProgress(ev);
                            })
                        .run());
      }
      assertThat(e).isNotNull();
      assertThat(e.phase()).isEqualTo(CprPhase.PERSIST);
      assertThat(guest.isAlive()).as("no 'cont': QEMU 10.0 aborts on it " + e).isTrue();
      assertThat(runState(qmp)).isEqualTo(RunState.POSTMIGRATE);
      assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
      assertThat(e)
          .hasMessageContaining("the guest suspended itself during the save")
          .hasMessageContaining("kept in " + state + ".partial");
      assertThat(dir.resolve("vm.state.partial")).isNotEmptyFile();
      quit(qmp);
    }
  }

  /** Quits QEMU through QMP, whose connection closes on the way. */
  private static void quit(QmpClient qmp) {
    try {
      qmp.execute("quit", null);
    } catch (io.github.qemucpr.qmp.QmpConnectionClosedException closed) {
      // quit closes the connection
    }
  }

  @Test
  void aSaveInterruptedAsTheMigrationOfASuspendedGuestCompletesKeepsACheckpointThatRestores()
      throws Exception {
    Path state = dir.resolve("vm.state");
    try (TestGuest guest = TestGuest.boot()) {
      try (QmpClient qmp = guest.connectQmp();
          GuestAgentClient qga = guest.connectAgent()) {
        Thread saver = Thread.currentThread();
        CprSaveException e;
        // Registered before the save, this wait sees 'completed' on the reader thread before the
        // save's own event queue does (a listener would see it only after), and interrupts the
        // save right then: the normal path never takes the event.
        try (var interruptOnCompleted =
            qmp.expectEvent(
                MigrationEvent.class,
                m -> {
                  boolean completed = MigrationStatus.COMPLETED.equals(m.status());
                  if (completed) {
                    saver.interrupt();
                  }
                  return completed;
                })) {
          e =
              catchThrowableOfType(
                  CprSaveException.class,
                  () ->
                      CprReboot.save(qmp)
                          .to(state)
                          .guestAgent(qga)
                          .suspendPolicy(SuspendPolicy.ALWAYS)
                          .run());
        } finally {
          Thread.interrupted(); // the save keeps the interrupt for its caller; clear it here
        }
        assertThat(e).as("the save is interrupted").isNotNull();
        assertThat(guest.isAlive()).as("no 'cont': QEMU 10.0 aborts on it " + e).isTrue();
        assertThat(runState(qmp)).isEqualTo(RunState.POSTMIGRATE);
        assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
        assertThat(e.checkpointSaved()).as(e.toString()).isTrue();
        assertThat(e).hasMessageContaining("kept in " + state + " with its manifest");
        assertThat(CprManifest.read(state).orElseThrow().suspendedByUs()).isTrue();
        quit(qmp);
      }
      guest.awaitExit(Duration.ofSeconds(30));
      try (TestGuest target = guest.startIncoming();
          QmpClient qmp = target.connectQmp()) {
        CprRestoreResult restored = CprReboot.restore(qmp).from(state).run();
        assertThat(restored.runState()).isEqualTo(RunState.RUNNING);
        assertThat(target.instance().awaitHeartbeatAfter(0, Duration.ofSeconds(30))).isPositive();
        assertThat(target.console()).as("no reboot").doesNotContain("boot_id");
      }
    }
  }

  @Test
  void anAddFdWhoseReplyNeverCameLeavesNoDescriptorInQemu() throws Exception {
    Path state = dir.resolve("vm.state");
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).build();
        QemuInstance source = vm.start();
        QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
      // QEMU stops reading its monitor when the PREPARE phase starts, so add-fd gets no reply in
      // time; it runs again when the save reports the failure, and only then adds the descriptor.
      CprSaveException e =
          catchThrowableOfType(
              CprSaveException.class,
              () ->
                  CprReboot.save(qmp)
                      .to(state)
                      .phaseTimeout(Duration.ofSeconds(2))
                      .progressListener(
                          ev -> {
                            if (ev.phase() == CprPhase.PREPARE
                                && ev.kind() == CprProgressEvent.Kind.STARTED) {
                              source.signal("STOP");
                            } else if (ev.kind() == CprProgressEvent.Kind.FAILED) {
                              source.signal("CONT");
                            }
                          })
                      .run());
      assertThat(e.phase()).isEqualTo(CprPhase.PREPARE);
      assertThat(e).hasMessageContaining("add-fd");
      assertThat(qmp.execute(new QueryFdsets())).as("QEMU's fd sets").isEmpty();
      assertThat(openFiles(source.pid())).noneMatch(f -> f.contains("vm.state"));
      assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
      assertThat(dir).isEmptyDirectory();
    }
  }

  /** What the descriptors of a process point to. */
  private static List<String> openFiles(long pid) throws IOException {
    List<String> files = new ArrayList<>();
    try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          files.add(Files.readSymbolicLink(fd).toString());
        } catch (IOException gone) {
          // closed meanwhile
        }
      }
    }
    return files;
  }

  /**
   * As on a systemd guest, where qemu-ga's {@code systemctl suspend} returns once logind has queued
   * the suspend: the agent is free again and answers ping at once, and the suspend lands seconds
   * later. Here pm-suspend queues the real one in the background and returns. An answered ping
   * after a suspend timeout is no proof that no suspend lands: the rollback must not report
   * RESTORED.
   */
  @Test
  void aSuspendQueuedInTheGuestAfterTheTimeoutIsNotReportedRestored() throws Exception {
    try (TestGuest guest = TestGuest.boot();
        QmpClient qmp = guest.connectQmp();
        GuestAgentClient qga = guest.connectAgent()) {
      ExecResult queued =
          qga.run(
              "/bin/sh",
              List.of(
                  "-c",
                  "mv /usr/sbin/pm-suspend /usr/sbin/pm-suspend.real"
                      + " && printf '#!/bin/sh\\n(sleep 4; exec /usr/sbin/pm-suspend.real)"
                      + " </dev/null >/dev/null 2>&1 &\\n' > /usr/sbin/pm-suspend"
                      + " && chmod 755 /usr/sbin/pm-suspend"),
              Duration.ofSeconds(60));
      assertThat(queued.exitCode()).as(queued.toString()).isZero();
      CountDownLatch suspended = new CountDownLatch(1);
      CprSaveException e;
      try (Subscription s =
          qmp.subscribe(
              ev -> {
                if (ev instanceof SuspendEvent) {
                  suspended.countDown();
                }
              })) {
        e =
            catchThrowableOfType(
                CprSaveException.class,
                () ->
                    CprReboot.save(qmp)
                        .to(dir.resolve("vm.state"))
                        .guestAgent(qga)
                        .suspendPolicy(SuspendPolicy.ALWAYS)
                        .suspendTimeout(Duration.ofSeconds(1))
                        .run());
        assertThat(e.phase()).isEqualTo(CprPhase.SUSPEND);
        assertThat(suspended.await(60, TimeUnit.SECONDS)).as("the queued suspend lands").isTrue();
      }
      assertThat(runState(qmp)).isEqualTo(RunState.SUSPENDED);
      assertThat(e.recovery()).as(e.toString()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
      assertThat(e).hasMessageContaining("the guest may still suspend");
    }
  }

  @Test
  void aGuestWhoseSuspendLandsAfterTheTimeoutIsWokenBeforeTheRollbackEnds() throws Exception {
    try (TestGuest guest = TestGuest.boot();
        QmpClient qmp = guest.connectQmp();
        GuestAgentClient qga = guest.connectAgent()) {
      // qemu-ga runs pm-suspend for guest-suspend-ram: make it wait 3 s before suspending.
      ExecResult slow =
          qga.run(
              "/bin/sh",
              List.of(
                  "-c",
                  "mv /usr/sbin/pm-suspend /usr/sbin/pm-suspend.real"
                      + " && printf '#!/bin/sh\\nsleep 3\\nexec /usr/sbin/pm-suspend.real\\n'"
                      + " > /usr/sbin/pm-suspend && chmod 755 /usr/sbin/pm-suspend"),
              Duration.ofSeconds(60));
      assertThat(slow.exitCode()).as(slow.toString()).isZero();
      CountDownLatch suspended = new CountDownLatch(1);
      CprSaveException e;
      try (Subscription s =
          qmp.subscribe(
              ev -> {
                if (ev instanceof SuspendEvent) {
                  suspended.countDown();
                }
              })) {
        e =
            catchThrowableOfType(
                CprSaveException.class,
                () ->
                    CprReboot.save(qmp)
                        .to(dir.resolve("vm.state"))
                        .guestAgent(qga)
                        .suspendPolicy(SuspendPolicy.ALWAYS)
                        .suspendTimeout(Duration.ofSeconds(1))
                        .run());
        assertThat(e.phase()).isEqualTo(CprPhase.SUSPEND);
        assertThat(suspended.await(60, TimeUnit.SECONDS)).as("the late suspend lands").isTrue();
      }
      assertThat(e.recovery()).as(e.toString()).isEqualTo(VmRecovery.RESTORED);
      assertThat(runState(qmp)).as("what the rollback promised").isEqualTo(RunState.RUNNING);
      long beat = guest.instance().awaitHeartbeatAfter(0, Duration.ofSeconds(30));
      assertThat(guest.instance().awaitHeartbeatAfter(beat, Duration.ofSeconds(30)))
          .isGreaterThan(beat);
      qga.sync(); // the agent answers again
    }
  }
}

package io.github.qemucpr.examples;

import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprRestoreResult;
import io.github.qemucpr.api.CprSaveResult;
import io.github.qemucpr.api.SuspendPolicy;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.GuestAgentTimeoutException;
import io.github.qemucpr.qmp.EventWait;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.Quit;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.command.SystemWakeup;
import io.github.qemucpr.qmp.event.SuspendEvent;
import io.github.qemucpr.qmp.event.WakeupEvent;
import io.github.qemucpr.testing.TestGuestImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Example 2 of QEMU's cpr-reboot documentation ({@code docs/devel/migration/CPR.rst}), step by
 * step, with the SDK: the guest is suspended to RAM through its agent before the save, as a VM with
 * VFIO devices needs, and woken after the restore.
 *
 * <pre>
 * # qemu-kvm -monitor stdio
 *   -object memory-backend-file,id=ram0,size=4G,mem-path=/dev/dax0.0,align=2M,share=on -m 4G
 *   -device vfio-pci, ...
 *   -chardev socket,id=qga0,path=qga.sock,server=on,wait=off
 *   -device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0
 * (qemu) info status                              VM status: running
 * # echo '{"execute":"guest-suspend-ram"}' | ncat --send-only -U qga.sock
 * (qemu) info status                              VM status: paused (suspended)
 * (qemu) migrate_set_parameter mode cpr-reboot
 * (qemu) migrate_set_capability x-ignore-shared on
 * (qemu) migrate -d file:vm.state
 * (qemu) info status                              VM status: paused (postmigrate)
 * (qemu) quit
 * ### optionally update kernel and reboot
 * # qemu-kvm ... -incoming defer
 * (qemu) info status                              VM status: paused (inmigrate)
 * (qemu) migrate_set_parameter mode cpr-reboot
 * (qemu) migrate_set_capability x-ignore-shared on
 * (qemu) migrate_incoming file:vm.state
 * (qemu) info status                              VM status: paused (suspended)
 * (qemu) system_wakeup
 * (qemu) info status                              VM status: running
 * </pre>
 *
 * <p>There is no VFIO device here (it needs real hardware); everything else is as documented. The
 * guest must allow S3: on q35 that takes {@code -global ICH9-LPC.disable_s3=0}. The SDK can do the
 * suspend and the wake-up itself ({@code suspendPolicy(SuspendPolicy.ALWAYS)}, as {@code cpr demo}
 * does); this example does them by hand to follow the documentation. Run it with {@code java -cp
 * cpr-examples/target/cpr.jar io.github.qemucpr.examples.Example2SuspendedGuest}.
 */
public final class Example2SuspendedGuest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private Example2SuspendedGuest() {}

  /**
   * Runs the example.
   *
   * @param args none
   * @throws Exception whatever fails: QEMU missing, a refused or failed save or restore
   */
  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("cpr-example2-");
    Path stateFile = dir.resolve("vm.state");
    // testGuest: kernel and initramfs, serial console, the agent's virtserialport, and S3 on.
    TestGuestImage guest = TestGuestImage.locateOrBuild(); // built on first use, then cached
    try (QemuLauncher vm =
        QemuLauncher.builder()
            .testGuest(guest.kernel(), guest.initramfs())
            .name("example2")
            .build()) {
      long heartbeatBefore;

      say(
          "# qemu-system-x86_64 -object memory-backend-file,...,share=on"
              + " -chardev socket,id=qga0,path=qga.sock,server=on,wait=off"
              + " -device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0"
              + " -global ICH9-LPC.disable_s3=0 ...");
      try (QemuInstance qemu = vm.start()) {
        qemu.awaitHeartbeatAfter(0, Duration.ofSeconds(60));
        try (QmpClient qmp = QmpClient.connect(qemu.qmpSocket());
            GuestAgentClient qga = awaitAgent(qemu.qgaSocket().orElseThrow())) {
          say("(qemu) info status                 VM status: " + runState(qmp));

          say("# guest-suspend-ram through the agent at " + qemu.qgaSocket().orElseThrow());
          // Register the wait first: the SUSPEND event may come before suspendRam() returns.
          try (EventWait<SuspendEvent> suspended = qmp.expectEvent(SuspendEvent.class, e -> true)) {
            qga.suspendRam(); // returns once accepted: a suspending guest cannot reply
            suspended.await(WAIT);
          }
          heartbeatBefore = qemu.lastHeartbeat().orElse(0);
          say(
              "(qemu) info status                 VM status: "
                  + runState(qmp)
                  + "  (last heartbeat "
                  + heartbeatBefore
                  + ")");

          say("(qemu) migrate_set_parameter mode cpr-reboot");
          say("(qemu) migrate_set_capability x-ignore-shared on");
          say("(qemu) migrate -d file:" + stateFile);
          CprSaveResult saved =
              CprReboot.save(qmp)
                  .to(stateFile)
                  .guestAgent(qga)
                  .suspendPolicy(SuspendPolicy.NEVER) // suspended by hand above
                  .quitAfterSave(false) // the documentation quits by hand, below
                  .run();
          say(
              "  saved "
                  + saved.bytesWritten()
                  + " bytes of device state; RAM "
                  + (saved.memorySavedInPlace() ? "stayed in place" : "was copied"));
          say("(qemu) info status                 VM status: " + runState(qmp));

          say("(qemu) quit");
          try {
            qmp.execute(new Quit());
          } catch (QmpConnectionClosedException e) {
            // QEMU may close the monitor before its reply arrives
          }
        }
        qemu.awaitExit(Duration.ofSeconds(10));
      }

      say("### optionally update QEMU, or the kernel and reboot (with the RAM on a DAX device)");

      say("# qemu-system-x86_64 ... -incoming defer");
      try (QemuInstance qemu = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(qemu.qmpSocket())) {
        say("(qemu) info status                 VM status: " + runState(qmp));

        say("(qemu) migrate_set_parameter mode cpr-reboot");
        say("(qemu) migrate_set_capability x-ignore-shared on");
        say("(qemu) migrate_incoming file:" + stateFile);
        // The guest was suspended before the save, not by it: it comes back suspended.
        CprRestoreResult restored = CprReboot.restore(qmp).from(stateFile).run();
        say("(qemu) info status                 VM status: " + restored.runState());
        if (!RunState.SUSPENDED.equals(restored.runState())) {
          throw new IllegalStateException("expected a suspended guest: " + restored);
        }

        say("(qemu) system_wakeup");
        try (EventWait<WakeupEvent> woken = qmp.expectEvent(WakeupEvent.class, e -> true)) {
          qmp.execute(new SystemWakeup());
          woken.await(WAIT);
        }
        RunState after = awaitRunning(qmp);
        say("(qemu) info status                 VM status: " + after);

        long heartbeatAfter = qemu.awaitHeartbeatAfter(0, Duration.ofSeconds(15));
        try (GuestAgentClient qga = awaitAgent(qemu.qgaSocket().orElseThrow())) {
          say(
              "  the guest runs on: heartbeat "
                  + heartbeatAfter
                  + " after "
                  + heartbeatBefore
                  + ", and its agent answers again ("
                  + qga.info().version()
                  + ")");
        }
        if (heartbeatAfter <= heartbeatBefore) {
          throw new IllegalStateException("the heartbeat started over: the guest rebooted");
        }
      }
    } finally {
      deleteRecursively(dir);
    }
    say("Example 2 done.");
  }

  /** The agent starts a moment after the guest's kernel, and answers again after a wake-up. */
  private static GuestAgentClient awaitAgent(Path socket) {
    GuestAgentClient qga = GuestAgentClient.connect(socket);
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      try {
        qga.sync();
        return qga;
      } catch (GuestAgentTimeoutException e) {
        if (System.nanoTime() - deadline > 0) {
          qga.close();
          throw e;
        }
      }
    }
  }

  /** QEMU reports the wake-up before the CPUs run again: wait for {@code running}. */
  private static RunState awaitRunning(QmpClient qmp) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    RunState state = runState(qmp);
    while (!RunState.RUNNING.equals(state) && System.nanoTime() - deadline < 0) {
      Thread.sleep(20);
      state = runState(qmp);
    }
    return state;
  }

  private static RunState runState(QmpClient qmp) {
    return qmp.execute(new QueryStatus()).status();
  }

  private static void say(String line) {
    System.out.println(line);
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}

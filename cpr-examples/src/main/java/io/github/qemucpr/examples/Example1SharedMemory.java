package io.github.qemucpr.examples;

import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprRestoreResult;
import io.github.qemucpr.api.CprSaveResult;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.Quit;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.testing.TestGuestImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Example 1 of QEMU's cpr-reboot documentation ({@code docs/devel/migration/CPR.rst}), step by
 * step, with the SDK: guest RAM in a shared {@code memory-backend-file}, saved in place.
 *
 * <pre>
 * # qemu-kvm -monitor stdio
 *   -object memory-backend-file,id=ram0,size=4G,mem-path=/dev/dax0.0,align=2M,share=on -m 4G
 * (qemu) info status                              VM status: running
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
 * (qemu) info status                              VM status: running
 * </pre>
 *
 * <p>It starts its own QEMU (TCG) with the little test guest, whose RAM is a shared file in {@code
 * /dev/shm}, and prints each step. Run it with {@code java -cp cpr-examples/target/cpr.jar
 * io.github.qemucpr.examples.Example1SharedMemory}; it exits with status 0 when the guest runs on
 * after the restore.
 */
public final class Example1SharedMemory {
  private Example1SharedMemory() {}

  /**
   * Runs the example.
   *
   * @param args none
   * @throws Exception whatever fails: QEMU missing, a refused or failed save or restore
   */
  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("cpr-example1-");
    Path stateFile = dir.resolve("vm.state");
    // The launcher describes the VM once; the second QEMU gets the same arguments.
    TestGuestImage guest = TestGuestImage.locateOrBuild(); // built on first use, then cached
    try (QemuLauncher vm =
        QemuLauncher.builder()
            .testGuest(guest.kernel(), guest.initramfs())
            .name("example1")
            .build()) {
      long heartbeatBefore;

      say(
          "# qemu-system-x86_64 -object memory-backend-file,id=ram0,size="
              + vm.memoryMiB()
              + "M,mem-path="
              + vm.memoryFile().orElseThrow()
              + ",share=on ...");
      try (QemuInstance qemu = vm.start()) {
        qemu.awaitHeartbeatAfter(0, Duration.ofSeconds(60));
        say(
            "  the guest booted: boot_id "
                + qemu.bootId().orElse("?")
                + ", heartbeat "
                + qemu.lastHeartbeat().orElse(0));
        try (QmpClient qmp = QmpClient.connect(qemu.qmpSocket())) {
          say("(qemu) info status                 VM status: " + runState(qmp));

          // One call does the documented steps: migrate_set_parameter mode cpr-reboot,
          // migrate_set_capability x-ignore-shared on (the RAM is a shared file), and
          // migrate to the state file, after a preflight that changes nothing.
          say("(qemu) migrate_set_parameter mode cpr-reboot");
          say("(qemu) migrate_set_capability x-ignore-shared on");
          say("(qemu) migrate -d file:" + stateFile);
          CprSaveResult saved =
              CprReboot.save(qmp)
                  .to(stateFile)
                  .quitAfterSave(false) // the documentation quits by hand, below
                  .run();
          heartbeatBefore = qemu.lastHeartbeat().orElse(0);
          say(
              "  saved "
                  + saved.bytesWritten()
                  + " bytes of device state; RAM "
                  + (saved.memorySavedInPlace() ? "stayed in place" : "was copied")
                  + "; blackout "
                  + saved.blackout().toMillis()
                  + " ms; last heartbeat "
                  + heartbeatBefore);
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

        // The same mode and capabilities as the save (from its manifest), then migrate_incoming.
        say("(qemu) migrate_set_parameter mode cpr-reboot");
        say("(qemu) migrate_set_capability x-ignore-shared on");
        say("(qemu) migrate_incoming file:" + stateFile);
        CprRestoreResult restored = CprReboot.restore(qmp).from(stateFile).run();
        say("(qemu) info status                 VM status: " + runState(qmp));

        long heartbeatAfter = qemu.awaitHeartbeatAfter(0, Duration.ofSeconds(15));
        say(
            "  the guest runs on: heartbeat "
                + heartbeatAfter
                + " after "
                + heartbeatBefore
                + " (it did not reboot); restore took "
                + restored.total().toMillis()
                + " ms");
        if (!RunState.RUNNING.equals(restored.runState()) || heartbeatAfter <= heartbeatBefore) {
          throw new IllegalStateException("the guest did not run on: " + restored);
        }
      }
    } finally {
      deleteRecursively(dir);
    }
    say("Example 1 done.");
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

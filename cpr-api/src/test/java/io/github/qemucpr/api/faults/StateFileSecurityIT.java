package io.github.qemucpr.api.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprProgressEvent.Kind;
import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprSaveException;
import io.github.qemucpr.api.CprSaveResult;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.command.FdsetInfo;
import io.github.qemucpr.qmp.command.RunState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The security rules of the state file, seen from QEMU's side: QEMU gets the {@code .partial} file
 * as a write-only descriptor in an fd set and the state file as a read-only one, never opens a path
 * of the state directory itself, and is left with no fd set afterwards; the files are 0600.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StateFileSecurityIT extends FaultTest {
  private static final int O_ACCMODE = 03;
  private static final int O_RDONLY = 0;
  private static final int O_WRONLY = 1;

  /** What QEMU holds in its fd sets: each descriptor's target and open flags, from /proc. */
  record QemuDescriptor(long fd, String opaque, Path target, int flags) {}

  private static List<QemuDescriptor> qemuFdsets(QmpClient qmp, long pid) throws IOException {
    List<QemuDescriptor> out = new ArrayList<>();
    for (FdsetInfo set : fdsets(qmp)) {
      for (FdsetInfo.Fd fd : set.fds()) {
        Path target = Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + fd.fd()));
        String info = Files.readString(Path.of("/proc/" + pid + "/fdinfo/" + fd.fd()));
        Matcher m = Pattern.compile("(?m)^flags:\\s+([0-7]+)$").matcher(info);
        assertThat(m.find()).as(info).isTrue();
        out.add(
            new QemuDescriptor(
                fd.fd(), String.valueOf(fd.opaque()), target, Integer.parseInt(m.group(1), 8)));
      }
    }
    return out;
  }

  @Test
  void qemuGetsAWriteOnlyDescriptorToSaveAndAReadOnlyOneToRestore() throws Exception {
    Path states =
        Files.createDirectory(
            dir.resolve("states"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path state = states.resolve("vm.state");
    Path partial = states.resolve("vm.state.partial");
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).build()) {
      try (QemuInstance source = vm.start();
          QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
        List<List<QemuDescriptor>> seen = new ArrayList<>();
        List<String> partialMode = new ArrayList<>();
        CprSaveResult saved =
            CprReboot.save(qmp)
                .to(state)
                .quitAfterSave(false)
                .progressListener(
                    on(
                        CprPhase.MIGRATE,
                        Kind.STARTED,
                        () -> {
                          try {
                            seen.add(qemuFdsets(qmp, source.pid()));
                            partialMode.add(
                                PosixFilePermissions.toString(
                                    Files.getPosixFilePermissions(partial)));
                          } catch (IOException e) {
                            throw new AssertionError(e);
                          }
                        }))
                .run();

        assertThat(seen)
            .singleElement()
            .asInstanceOf(InstanceOfAssertFactories.LIST)
            .singleElement()
            .satisfies(
                d -> {
                  QemuDescriptor fd = (QemuDescriptor) d;
                  assertThat(fd.target()).isEqualTo(partial);
                  assertThat(fd.flags() & O_ACCMODE).as("flags %o", fd.flags()).isEqualTo(O_WRONLY);
                  assertThat(fd.opaque()).contains("qemu-cpr-java state file");
                });
        assertThat(partialMode).containsExactly("rw-------");
        assertThat(saved.quit()).isFalse();
        assertThat(fdsets(qmp)).as("remove-fd after the migration").isEmpty();
        assertThat(runState(qmp)).isEqualTo(RunState.POSTMIGRATE);
        quit(qmp);
        assertThat(source.awaitExit(Duration.ofSeconds(30))).isZero();
      }
      assertThat(filesIn(states)).containsExactly("vm.state", "vm.state.json");
      for (Path p : List.of(state, CprManifest.pathFor(state))) {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p)))
            .as("mode of %s", p)
            .isEqualTo("rw-------");
      }

      try (QemuInstance target = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
        List<List<QemuDescriptor>> seen = new ArrayList<>();
        CprReboot.restore(qmp)
            .from(state)
            .progressListener(
                on(
                    CprPhase.LOAD,
                    Kind.STARTED,
                    () -> {
                      try {
                        seen.add(qemuFdsets(qmp, target.pid()));
                      } catch (IOException e) {
                        throw new AssertionError(e);
                      }
                    }))
            .run();
        assertThat(seen)
            .singleElement()
            .asInstanceOf(InstanceOfAssertFactories.LIST)
            .singleElement()
            .satisfies(
                d -> {
                  QemuDescriptor fd = (QemuDescriptor) d;
                  assertThat(fd.target()).isEqualTo(state);
                  assertThat(fd.flags() & O_ACCMODE).as("flags %o", fd.flags()).isEqualTo(O_RDONLY);
                });
        assertThat(fdsets(qmp)).as("remove-fd after the load").isEmpty();
        assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
        assertThat(
                PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(CprManifest.pathFor(state))))
            .isEqualTo("rw-------");
      }
    }
  }

  /**
   * QEMU runs as {@code nobody} ({@code -run-with user=nobody}, after it opened its RAM file and
   * sockets as root), and the state directory is root's, mode 0700: QEMU cannot open anything in
   * it. Save and restore work all the same through passed descriptors; the path fallback fails with
   * QEMU's "Permission denied" and is rolled back.
   */
  @Test
  void qemuNeverNeedsAccessToTheStateDirectory() throws Exception {
    Path states =
        Files.createDirectory(
            dir.resolve("private"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path state = states.resolve("vm.state");
    try (QemuLauncher vm =
        QemuLauncher.builder().memoryMiB(64).extraArgs("-run-with", "user=nobody").build()) {
      try (QemuInstance source = vm.start();
          QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
        assertThat(Files.readString(Path.of("/proc/" + source.pid() + "/status")))
            .containsPattern("(?m)^Uid:\\s+65534\\s");
        CprReboot.save(qmp).to(state).run();
        assertThat(source.awaitExit(Duration.ofSeconds(30))).isZero();
      }
      try (QemuInstance target = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
        assertThat(CprReboot.restore(qmp).from(state).run().runState()).isEqualTo(RunState.RUNNING);

        Path byPath = states.resolve("by-path.state");
        CprSaveException e =
            catchThrowableOfType(
                CprSaveException.class,
                () -> CprReboot.save(qmp).to(byPath).passFileDescriptor(false).run());
        assertThat(e.phase()).isEqualTo(CprPhase.MIGRATE);
        assertThat(e.qemuError()).as(e.toString()).contains("Permission denied");
        assertThat(e.recovery()).isEqualTo(VmRecovery.RESTORED);
        assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
        // Nothing of the failed save; the restore's claim file stays, for the next restore.
        assertThat(filesIn(states)).containsExactly("vm.state", "vm.state.json", "vm.state.lock");
      }
    }
  }

  private static void quit(QmpClient qmp) {
    try {
      qmp.execute("quit", null);
    } catch (QmpConnectionClosedException e) {
      // QEMU may close the connection before its reply
    }
  }
}

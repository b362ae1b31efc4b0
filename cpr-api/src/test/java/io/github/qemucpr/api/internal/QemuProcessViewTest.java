package io.github.qemucpr.api.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.api.PreflightCode;
import io.github.qemucpr.api.PreflightItem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A QEMU process as a /proc-like directory shows it: {@code root} and {@code cwd} links into a
 * directory tree that stands for a chroot, so that QEMU's names differ from this process's.
 */
class QemuProcessViewTest {
  @TempDir Path dir;
  private Path proc;
  private Path rootfs;
  private Path vmDir;

  @BeforeEach
  void chroot() throws IOException {
    proc = Files.createDirectories(dir.resolve("proc/4242"));
    rootfs = Files.createDirectories(dir.resolve("rootfs"));
    vmDir = Files.createDirectories(rootfs.resolve("srv/vm"));
    Files.createSymbolicLink(proc.resolve("root"), rootfs);
    Files.createSymbolicLink(proc.resolve("cwd"), vmDir);
  }

  private QemuProcessView view() {
    return new QemuProcessView(4242, proc);
  }

  @Test
  void theWorkingDirectoryIsNamedAsTheProcessNamesIt() throws IOException {
    assertThat(view().workingDirectory()).isEqualTo("/srv/vm");
    assertThat(new QemuProcessView(ProcessHandle.current().pid()).workingDirectory())
        .isEqualTo(Path.of("").toAbsolutePath().toString());
  }

  @Test
  void aWorkingDirectoryOutsideTheRootIsAnError() throws IOException {
    Files.delete(proc.resolve("cwd"));
    Files.createSymbolicLink(proc.resolve("cwd"), dir);
    assertThatThrownBy(() -> view().workingDirectory())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not under its root");
  }

  @Test
  void aRelativePathIsResolvedFromTheWorkingDirectoryAndLinksFromTheRoot() throws IOException {
    Files.createDirectories(rootfs.resolve("data"));
    Files.writeString(rootfs.resolve("data/qmp.sock"), "");
    Files.createSymbolicLink(vmDir.resolve("run"), Path.of("/data")); // QEMU's /data
    Files.writeString(vmDir.resolve("here"), "");

    assertThat(view().resolve("run/qmp.sock")).isEqualTo(proc.resolve("root/data/qmp.sock"));
    assertThat(view().resolve("./here")).isEqualTo(proc.resolve("root/srv/vm/here"));
    assertThat(view().resolve("../vm/here")).isEqualTo(proc.resolve("root/srv/vm/here"));
    assertThat(view().resolve("missing")).isNull();
    assertThat(view().resolve("/srv/vm/here")).isEqualTo(proc.resolve("root/srv/vm/here"));
  }

  private List<PreflightItem> checkMonitor(String socket, String qmp) {
    PreflightItems found = new PreflightItems();
    ExecPreflight.checkMonitor(socket, List.of("/usr/bin/qemu", "-qmp", qmp), view(), found);
    return found.list();
  }

  @Test
  void aRelativeMonitorPathIsTheSocketWhenQemuReachesItFromItsWorkingDirectory()
      throws IOException {
    Path socket = Files.writeString(vmDir.resolve("qmp.sock"), "");

    assertThat(checkMonitor(socket.toString(), "unix:qmp.sock,server=on,wait=off")).isEmpty();
    assertThat(checkMonitor(socket.toString(), "unix:./qmp.sock,server=on,wait=off")).isEmpty();
    assertThat(checkMonitor(socket.toString(), "unix:/srv/vm/qmp.sock,server=on")).isEmpty();
  }

  @Test
  void aMonitorThatConnectsOutInsteadOfListeningIsNotTheSocket() throws IOException {
    // Without server=on QEMU's socket chardev is a client: the new QEMU would connect to the path
    // (nothing listens there after the exec, so it exits, and the VM with it) instead of opening a
    // monitor for the SDK to reconnect to.
    Path socket = Files.writeString(vmDir.resolve("qmp.sock"), "");
    for (String qmp :
        List.of(
            "unix:/srv/vm/qmp.sock",
            "unix:qmp.sock,wait=off",
            "unix:/srv/vm/qmp.sock,server=off",
            "unix:/srv/vm/qmp.sock,noserver")) {
      assertThat(checkMonitor(socket.toString(), qmp))
          .as(qmp)
          .singleElement()
          .satisfies(i -> assertThat(i.code()).isEqualTo(PreflightCode.EXEC_COMMAND_NO_MONITOR));
    }
    PreflightItems found = new PreflightItems();
    ExecPreflight.checkMonitor(
        socket.toString(),
        List.of(
            "/usr/bin/qemu",
            "-chardev",
            "socket,id=m,path=/srv/vm/qmp.sock",
            "-mon",
            "m,mode=control"),
        view(),
        found);
    assertThat(found.list())
        .singleElement()
        .satisfies(i -> assertThat(i.code()).isEqualTo(PreflightCode.EXEC_COMMAND_NO_MONITOR));
    // The forms that listen still count.
    assertThat(checkMonitor(socket.toString(), "unix:/srv/vm/qmp.sock,server")).isEmpty();
    assertThat(checkMonitor(socket.toString(), "unix:/srv/vm/qmp.sock,server=yes")).isEmpty();
  }

  @Test
  void aMonitorPathThatLeadsElsewhereInQemusRootIsNotTheSocket() throws IOException {
    Path socket = Files.writeString(vmDir.resolve("qmp.sock"), "");
    Files.writeString(vmDir.resolve("other.sock"), "");

    // This process's name for the socket means another file (here: none) in QEMU's root.
    List<PreflightItem> sameName = checkMonitor(socket.toString(), "unix:" + socket + ",server=on");
    List<PreflightItem> relative = checkMonitor(socket.toString(), "unix:other.sock,server=on");

    assertThat(sameName)
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.code()).isEqualTo(PreflightCode.EXEC_COMMAND_NO_MONITOR);
              assertThat(i.message()).contains("does not exist as QEMU (pid 4242) sees it");
            });
    assertThat(relative)
        .singleElement()
        .satisfies(
            i ->
                assertThat(i.message())
                    .contains("other.sock in QEMU's working directory /srv/vm, another file"));
  }

  @Test
  void aMonitorPathThatIsNoPathIsAFindingNotAnException() throws IOException {
    Path socket = Files.writeString(vmDir.resolve("qmp.sock"), "");
    assertThat(checkMonitor(socket.toString(), "unix:/srv/vm/qmp\0.sock,server=on"))
        .singleElement()
        .satisfies(i -> assertThat(i.code()).isEqualTo(PreflightCode.EXEC_COMMAND_NO_MONITOR));
  }

  @Test
  void withoutQemusViewOnlyTheNameCounts() {
    PreflightItems found = new PreflightItems();
    ExecPreflight.checkMonitor(
        "/run/vm/qmp.sock",
        List.of("/usr/bin/qemu", "-qmp", "unix:/run/vm/../vm/qmp.sock,server=on"),
        null,
        found);
    ExecPreflight.checkMonitor(
        "/run/vm/qmp.sock",
        List.of("/usr/bin/qemu", "-qmp", "unix:qmp.sock,server=on"),
        null,
        found);
    assertThat(found.list())
        .singleElement()
        .satisfies(i -> assertThat(i.message()).contains("relative to QEMU's working directory"));
  }

  private List<PreflightItem> sandboxOf(String... argv) throws IOException {
    Files.write(proc.resolve("cmdline"), (String.join("\0", argv) + "\0").getBytes(UTF_8));
    Files.writeString(proc.resolve("status"), "Name:\tqemu\nSeccomp:\t0\n");
    PreflightItems found = new PreflightItems();
    ExecPreflight.checkExecAllowed(view(), found);
    return found.list();
  }

  @Test
  void aSandboxThatDeniesSpawningIsReadFromQemusCommandLineAsQemuReadsIt() throws IOException {
    assertThat(sandboxOf("/usr/bin/qemu", "-m", "1G", "--sandbox", "on,spawn=deny"))
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.code()).isEqualTo(PreflightCode.EXEC_BLOCKED);
              assertThat(i.isError()).isTrue();
              assertThat(i.subject()).isEqualTo("--sandbox on,spawn=deny");
            });
    assertThat(sandboxOf("/usr/bin/qemu", "-sandbox", "enable=on,spawn=deny,obsolete=deny"))
        .hasSize(1);
    // A VM named "-sandbox", a sandbox that is off or allows spawning: nothing to say.
    assertThat(sandboxOf("/usr/bin/qemu", "-name", "-sandbox", "on,spawn=deny")).isEmpty();
    assertThat(sandboxOf("/usr/bin/qemu", "-sandbox", "off,spawn=deny")).isEmpty();
    assertThat(sandboxOf("/usr/bin/qemu", "-sandbox", "on,spawn=allow")).isEmpty();
  }
}

package io.github.qemucpr.api.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.api.PreflightCode;
import io.github.qemucpr.api.PreflightItem;
import io.github.qemucpr.api.TinyElf;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The new binary as the kernel would take it in QEMU's process, against a /proc-like directory: its
 * {@code root} is a directory tree standing for a chroot, its {@code status} gives QEMU's user.
 */
class ExecutableCheckTest {
  @TempDir Path dir;
  private Path proc;
  private Path rootfs;

  @BeforeEach
  void chroot() throws IOException {
    proc = Files.createDirectories(dir.resolve("proc/4242"));
    rootfs = Files.createDirectories(dir.resolve("rootfs"));
    Files.createSymbolicLink(proc.resolve("root"), rootfs);
    Files.createSymbolicLink(proc.resolve("cwd"), Files.createDirectories(rootfs.resolve("srv")));
    runAs(0);
  }

  private void runAs(long uid) throws IOException {
    Files.writeString(
        proc.resolve("status"),
        "Name:\tqemu\nUid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\nGroups:\t\n"
            .formatted(uid, uid, uid, uid, uid, uid, uid, uid));
  }

  private List<PreflightItem> check(String binary) {
    PreflightItems found = new PreflightItems();
    ExecutableCheck.check(new QemuProcessView(4242, proc), binary, found);
    return found.list();
  }

  /** A file in QEMU's root, at its path there. */
  private Path inRoot(String path) {
    return rootfs.resolve(path.substring(1));
  }

  private Path script(String path, String text, String mode) throws IOException {
    Path p = inRoot(path);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
    return p;
  }

  @Test
  void aProgramWhoseLoaderIsInQemusRootPasses() throws IOException {
    TinyElf.program().writeTo(inRoot("/lib64/ld.so"));
    TinyElf.program().interpreter("/lib64/ld.so").writeTo(inRoot("/usr/bin/qemu"));
    TinyElf.program().elf32().bigEndian().interpreter("/lib/ld.so").writeTo(inRoot("/bin/q32"));
    TinyElf.program().elf32().bigEndian().writeTo(inRoot("/lib/ld.so"));
    TinyElf.program().writeTo(inRoot("/bin/static"));

    assertThat(check("/usr/bin/qemu")).isEmpty();
    assertThat(check("/bin/q32")).isEmpty();
    assertThat(check("/bin/static")).isEmpty();
  }

  @Test
  void aLoaderThatOnlyThisProcessSeesIsMissing() throws Exception {
    // This process's own loader, which the chroot does not have.
    String loader = ExecutableCheck.loaderOf(Path.of("/bin/sh"));
    assertThat(loader).isNotNull().startsWith("/");
    TinyElf.program().interpreter(loader).writeTo(inRoot("/usr/bin/qemu"));

    assertThat(check("/usr/bin/qemu"))
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.code()).isEqualTo(PreflightCode.EXEC_ELF_LOADER_UNUSABLE);
              assertThat(i.isError()).isTrue();
              assertThat(i.subject()).isEqualTo(loader);
              assertThat(i.message())
                  .contains(loader + ", the loader (PT_INTERP) of /usr/bin/qemu")
                  .contains("does not exist as QEMU (pid 4242) sees it");
            });
  }

  @Test
  void aLoaderThatIsNotElfOrNotExecutableIsUnusable() throws IOException {
    script("/lib64/ld.so", "not elf", "rwxr-xr-x");
    TinyElf.program().interpreter("/lib64/ld.so").writeTo(inRoot("/usr/bin/qemu"));
    assertThat(check("/usr/bin/qemu"))
        .singleElement()
        .satisfies(i -> assertThat(i.message()).contains("is not an ELF file"));

    Files.setPosixFilePermissions(
        TinyElf.program().writeTo(inRoot("/lib64/ld.so")),
        PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(check("/usr/bin/qemu"))
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.code()).isEqualTo(PreflightCode.EXEC_ELF_LOADER_UNUSABLE);
              assertThat(i.message()).contains("not executable by QEMU's user");
            });
  }

  @Test
  void aScriptsInterpreterIsResolvedInQemusRootAndWorkingDirectory() throws IOException {
    TinyElf.program().writeTo(inRoot("/bin/interp"));
    TinyElf.program().writeTo(inRoot("/srv/local-interp"));
    script("/usr/bin/qemu", "#!/bin/interp -x\n", "rwxr-xr-x");
    script("/usr/bin/relative", "#!local-interp\n", "rwxr-xr-x");
    script("/usr/bin/host-only", "#!" + dir.resolve("host-interp") + "\n", "rwxr-xr-x");
    TinyElf.program().writeTo(dir.resolve("host-interp"));

    assertThat(check("/usr/bin/qemu")).isEmpty();
    assertThat(check("/usr/bin/relative")).isEmpty();
    assertThat(check("/usr/bin/host-only"))
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.code()).isEqualTo(PreflightCode.EXEC_SCRIPT_INTERPRETER_UNUSABLE);
              assertThat(i.message()).contains("the interpreter of the script /usr/bin/host-only");
            });
  }

  @Test
  void nestedScriptsEndAtTheKernelsLimit() throws IOException {
    TinyElf.program().writeTo(inRoot("/bin/real"));
    script("/s0", "#!/bin/real\n", "rwxr-xr-x");
    for (int i = 1; i <= 5; i++) {
      script("/s" + i, "#!/s" + (i - 1) + "\n", "rwxr-xr-x");
    }
    // /s4 needs /s3, /s2, /s1, /s0 and /bin/real: five interpreters; /s5 needs six (ELOOP).
    assertThat(check("/s4")).isEmpty();
    assertThat(check("/s5"))
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.code()).isEqualTo(PreflightCode.EXEC_SCRIPT_INTERPRETER_UNUSABLE);
              assertThat(i.message()).contains("at most 5 nested");
            });
  }

  @Test
  void modesAreReadForQemusUser() throws IOException {
    runAs(1000);
    TinyElf.program().writeTo(inRoot("/bin/interp"));
    // Owned by this test's user (root), so QEMU's user 1000 is among the others.
    script("/usr/bin/unreadable", "#!/bin/interp\n", "rwx--x--x");
    script("/usr/bin/owner-only", "#!/bin/interp\n", "rwxr--r--");

    assertThat(check("/usr/bin/unreadable"))
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.code()).isEqualTo(PreflightCode.EXEC_BINARY_UNUSABLE);
              assertThat(i.message()).contains("may not read", "/bin/interp opens it");
            });
    assertThat(check("/usr/bin/owner-only"))
        .singleElement()
        .satisfies(i -> assertThat(i.message()).contains("not executable by QEMU's user"));
  }

  @Test
  void theInterpreterLineIsReadAsTheKernelReadsIt() {
    assertThat(interp("#!/bin/sh\n")).isEqualTo("/bin/sh");
    assertThat(interp("#! \t/usr/bin/env python3 -u\n")).isEqualTo("/usr/bin/env");
    assertThat(interp("#!/bin/sh")).isEqualTo("/bin/sh"); // no newline: the file ends it
    assertThat(interp("#!/bin/sh \t \nrest")).isEqualTo("/bin/sh");
    assertThat(interp("#!\n")).isNull();
    assertThat(interp("#!   \t\n/bin/sh\n")).isNull();
    assertThat(interp("#!" + " ".repeat(300))).isNull();
    // Longer than the kernel's 256 bytes: a name that ends within them counts, one cut does not.
    assertThat(interp("#!/bin/sh " + "x".repeat(300))).isEqualTo("/bin/sh");
    assertThat(interp("#!/" + "d".repeat(300) + "/sh\n")).isNull();
  }

  private static String interp(String line) {
    return ExecutableCheck.interpreterOf(line.getBytes(StandardCharsets.UTF_8));
  }

  /** QEMU's mounts, as its /proc/PID/mountinfo names them inside its root. */
  private static final String MOUNTINFO =
      String.join(
          "\n",
          "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
          "23 22 0:21 / /mnt/noexec rw,nosuid,nodev,noexec,relatime shared:2 - tmpfs tmpfs rw",
          "24 23 0:22 / /mnt/noexec/exec\\040ok rw,relatime - tmpfs tmpfs rw",
          "25 22 0:23 / /opt rw,noexec - tmpfs tmpfs rw",
          "26 25 0:24 / /opt rw,relatime - tmpfs tmpfs rw",
          "27 22 0:25 /lib64 /lib64 ro,noexec,relatime master:3 - ext4 /dev/sda2 ro",
          "");

  @Test
  void aBinaryOnANoexecMountInQemusViewIsRefused() throws IOException {
    Files.writeString(proc.resolve("mountinfo"), MOUNTINFO);
    TinyElf.program().writeTo(inRoot("/mnt/noexec/qemu"));
    Files.createDirectories(inRoot("/usr/bin"));
    Files.createSymbolicLink(inRoot("/usr/bin/qemu"), Path.of("/mnt/noexec/qemu"));

    for (String binary : List.of("/mnt/noexec/qemu", "/usr/bin/qemu")) {
      assertThat(check(binary))
          .as(binary)
          .singleElement()
          .satisfies(
              i -> {
                assertThat(i.code().name()).isEqualTo("EXEC_BINARY_NOEXEC_MOUNT");
                assertThat(i.isError()).isTrue();
                assertThat(i.subject()).isEqualTo(binary);
                assertThat(i.message()).contains("/mnt/noexec/qemu", "noexec", "tmpfs");
              });
    }
  }

  @Test
  void theMountThatHoldsThePathDecides() throws IOException {
    Files.writeString(proc.resolve("mountinfo"), MOUNTINFO);
    // A mount below the noexec one, the mount stacked on top of a noexec one, a sibling name.
    for (String binary : List.of("/mnt/noexec/exec ok/qemu", "/opt/qemu", "/mnt/noexecfoo/qemu")) {
      TinyElf.program().writeTo(inRoot(binary));
      assertThat(check(binary)).as(binary).isEmpty();
    }
  }

  @Test
  void anInterpreterOrLoaderOnANoexecMountIsUnusable() throws IOException {
    Files.writeString(proc.resolve("mountinfo"), MOUNTINFO);
    TinyElf.program().writeTo(inRoot("/mnt/noexec/interp"));
    script("/usr/bin/script", "#!/mnt/noexec/interp\n", "rwxr-xr-x");
    TinyElf.program().writeTo(inRoot("/lib64/ld.so"));
    TinyElf.program().interpreter("/lib64/ld.so").writeTo(inRoot("/usr/bin/dynamic"));

    assertThat(check("/usr/bin/script"))
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.code()).isEqualTo(PreflightCode.EXEC_SCRIPT_INTERPRETER_UNUSABLE);
              assertThat(i.message()).contains("noexec");
            });
    assertThat(check("/usr/bin/dynamic"))
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.code()).isEqualTo(PreflightCode.EXEC_ELF_LOADER_UNUSABLE);
              assertThat(i.message()).contains("noexec", "/lib64");
            });
  }

  @Test
  void aProgramForAnotherMachineThanQemusIsUnusable() throws IOException {
    // QEMU runs an x86-64 program; the kernel (no binfmt_misc here) refuses any other machine
    // (ENOEXEC), and QEMU's execvp would then run the file as a /bin/sh script.
    Files.createSymbolicLink(
        proc.resolve("exe"), TinyElf.program().writeTo(dir.resolve("running-qemu")));
    TinyElf.program().writeTo(inRoot("/lib64/ld.so"));
    TinyElf.program().machine(183).writeTo(inRoot("/usr/bin/qemu-aarch64-build"));
    TinyElf.program().bigEndian().writeTo(inRoot("/usr/bin/qemu-big-endian"));
    // A program whose loader is built for another machine: the kernel checks the loader too.
    TinyElf.program().elf32().writeTo(inRoot("/lib/ld-linux.so.2"));
    TinyElf.program().interpreter("/lib/ld-linux.so.2").writeTo(inRoot("/usr/bin/qemu-mixed"));

    for (String binary : List.of("/usr/bin/qemu-aarch64-build", "/usr/bin/qemu-big-endian")) {
      assertThat(check(binary))
          .as(binary)
          .singleElement()
          .satisfies(
              i -> {
                assertThat(i.code()).isEqualTo(PreflightCode.EXEC_BINARY_UNUSABLE);
                assertThat(i.isError()).isTrue();
                assertThat(i.message()).contains("machine");
              });
    }
    assertThat(check("/usr/bin/qemu-mixed"))
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.code()).isEqualTo(PreflightCode.EXEC_ELF_LOADER_UNUSABLE);
              assertThat(i.isError()).isTrue();
              assertThat(i.message()).contains("machine");
            });
  }

  @Test
  void aMountNameThatIsNotUtf8DoesNotTurnTheNoexecCheckOff() throws IOException {
    // Any user can add such a mount (fusermount on a directory of theirs named in Latin-1); the
    // kernel escapes only space, tab, newline and backslash in mountinfo.
    byte[] latin1 =
        "40 22 0:40 / /home/u/caf\u00e9 rw,nosuid,nodev - fuse.sshfs host: rw\n"
            .getBytes(StandardCharsets.ISO_8859_1);
    byte[] mountinfo = MOUNTINFO.getBytes(StandardCharsets.UTF_8);
    byte[] all = Arrays.copyOf(mountinfo, mountinfo.length + latin1.length);
    System.arraycopy(latin1, 0, all, mountinfo.length, latin1.length);
    Files.write(proc.resolve("mountinfo"), all);
    TinyElf.program().writeTo(inRoot("/mnt/noexec/qemu"));

    assertThat(check("/mnt/noexec/qemu"))
        .singleElement()
        .satisfies(i -> assertThat(i.code()).isEqualTo(PreflightCode.EXEC_BINARY_NOEXEC_MOUNT));
  }
}

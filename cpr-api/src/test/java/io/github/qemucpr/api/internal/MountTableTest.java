package io.github.qemucpr.api.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** /proc/PID/mountinfo as proc(5) describes it. */
class MountTableTest {

  @Test
  void fieldsAreReadAroundTheOptionalOnesAndNamesAreUnescaped() {
    MountTable t =
        MountTable.parse(
            List.of(
                "36 35 98:0 /mnt1 /mnt/with\\040space\\011tab rw,noatime,noexec master:1 shared:2"
                    + " - ext3 /dev/root rw,errors=continue",
                "37 35 0:5 / /back\\134slash rw - tmpfs none rw",
                "garbage",
                "38 35 0:6 / relative rw - tmpfs none rw",
                "39 35 0:7 / /no-separator rw shared:3 tmpfs none rw",
                ""));
    assertThat(t.mounts())
        .extracting(MountTable.Mount::mountPoint)
        .containsExactly("/mnt/with space\ttab", "/back\\slash");
    MountTable.Mount first = t.mounts().get(0);
    assertThat(first.noexec()).isTrue();
    assertThat(first.fsType()).isEqualTo("ext3");
    assertThat(first.source()).isEqualTo("/dev/root");
    assertThat(t.mounts().get(1).noexec()).isFalse();
  }

  @Test
  void theDeepestMountHoldsAPathAndTheLastOfOnePointIsOnTop() {
    MountTable t =
        MountTable.parse(
            List.of(
                "1 0 0:1 / / rw - ext4 /dev/sda1 rw",
                "2 1 0:2 / /a rw,noexec - tmpfs t1 rw",
                "3 2 0:3 / /a/b rw - tmpfs t2 rw",
                "4 1 0:4 / /c rw - tmpfs t3 rw",
                "5 4 0:5 / /c rw,noexec - tmpfs t4 rw"));
    assertThat(t.containing("/a/x").source()).isEqualTo("t1");
    assertThat(t.containing("/a").source()).isEqualTo("t1");
    assertThat(t.containing("/a/b/x").source()).isEqualTo("t2");
    assertThat(t.containing("/ab/x").source()).isEqualTo("/dev/sda1");
    assertThat(t.containing("/c/x").source()).isEqualTo("t4");
    assertThat(t.containing("/").source()).isEqualTo("/dev/sda1");
    assertThat(MountTable.parse(List.of()).containing("/x")).isNull();
  }

  @Test
  void thisProcessesOwnMountsParse() throws IOException {
    MountTable own = MountTable.parse(Files.readAllLines(Path.of("/proc/self/mountinfo")));
    assertThat(own.containing("/")).isNotNull();
    assertThat(own.containing(Path.of("/bin/sh").toRealPath().toString()).noexec()).isFalse();
  }

  @Test
  void aMountOnAPointAboveHidesTheMountsMadeBeforeItBelowIt() {
    // /opt/qemu was mounted first; a noexec /opt mounted later covers it, and /opt/qemu/... is then
    // in the noexec mount, though the hidden mount is still listed (and deeper).
    MountTable t =
        MountTable.parse(
            List.of(
                "1 0 0:1 / / rw - ext4 /dev/sda1 rw",
                "2 1 0:2 / /opt/qemu rw - tmpfs hidden rw",
                "3 1 0:3 / /opt rw,noexec - tmpfs over rw",
                "4 3 0:4 / /opt/later rw - tmpfs later rw"));
    assertThat(t.containing("/opt/qemu/bin/qemu").source()).isEqualTo("over");
    assertThat(t.containing("/opt/qemu").source()).isEqualTo("over");
    assertThat(t.containing("/opt/later/qemu").source()).isEqualTo("later");
  }
}

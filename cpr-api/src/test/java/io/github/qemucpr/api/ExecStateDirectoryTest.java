package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.testing.FakeQemu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cpr-exec's new QEMU opens the state file by its path after the save, so whoever may rename
 * entries in its directory could slip in device state of their own: the preflight refuses such a
 * directory, and warns of such a directory above it (for a save and restore, where the manifest's
 * hash is checked, even the state file's own directory is only a warning).
 */
class ExecStateDirectoryTest {
  private final ExecFake fake = new ExecFake();
  private final FakeQemu qemu = fake.qemu;
  private final QmpClient qmp = fake.qmp;
  @TempDir Path dir;

  @AfterEach
  void tearDown() {
    fake.close();
  }

  private List<PreflightItem> shared(Path state) {
    PreflightReport report = fake.exec(state).check();
    return report.items().stream()
        .filter(i -> i.code() == PreflightCode.STATE_DIRECTORY_SHARED)
        .toList();
  }

  @Test
  void aDirectoryOnlyItsOwnerWritesIsFine() throws Exception {
    Path states = Files.createDirectory(dir.resolve("states"));
    Files.setPosixFilePermissions(states, PosixFilePermissions.fromString("rwx------"));
    assertThat(shared(states.resolve("vm.state"))).isEmpty();
  }

  @Test
  void aStateDirectoryOthersMayWriteIsAnError() throws Exception {
    Path states = Files.createDirectory(dir.resolve("states"));
    Files.setPosixFilePermissions(states, PosixFilePermissions.fromString("rwxrwxrwx"));
    assertThat(shared(states.resolve("vm.state")))
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.isError()).isTrue();
              assertThat(i.subject()).isEqualTo(states.toString());
            });
  }

  @Test
  void aDirectoryAboveItThatOthersMayWriteIsAWarning() throws Exception {
    Path open = Files.createDirectory(dir.resolve("open"));
    Path states = Files.createDirectory(open.resolve("states"));
    Files.setPosixFilePermissions(states, PosixFilePermissions.fromString("rwx------"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxr-x"));
    assertThat(shared(states.resolve("vm.state")))
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.severity()).isEqualTo(PreflightItem.Severity.WARNING);
              assertThat(i.subject()).isEqualTo(open.toString());
              assertThat(i.message()).contains("above the state file");
            });
  }

  @Test
  void aStickyDirectoryAboveItIsFine() throws Exception {
    Path sticky = Files.createDirectory(dir.resolve("sticky"));
    Path states = Files.createDirectory(sticky.resolve("states"));
    Files.setPosixFilePermissions(states, PosixFilePermissions.fromString("rwx------"));
    Files.setAttribute(sticky, "unix:mode", 01777);
    assertThat(shared(states.resolve("vm.state"))).isEmpty();
  }

  @Test
  void aDirectoryOfAnotherUserIsAnError() throws Exception {
    Path states = Files.createDirectory(dir.resolve("states"));
    Files.setPosixFilePermissions(states, PosixFilePermissions.fromString("rwxr-xr-x"));
    UserPrincipal nobody =
        states.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    String me = System.getProperty("user.name");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        me.equals("root"), "only root can give a directory to another user");
    Files.setOwner(states, nobody);
    assertThat(shared(states.resolve("vm.state")))
        .singleElement()
        .satisfies(i -> assertThat(i.message()).contains("belongs to nobody"));
  }
}

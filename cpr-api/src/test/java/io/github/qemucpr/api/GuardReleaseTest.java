package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.qemucpr.api.internal.ClientGuard;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every early exit of a workflow (a refused checkpoint, a failed preflight, a bad argument)
 * releases the client guard: the next operation on the same QEMU is not refused as running.
 */
class GuardReleaseTest extends FakeQemuTest {

  /** The QEMU is free again: a new operation on it may start. */
  private void assertFree(Throwable failure) {
    assertThat(failure).as("the workflow must have failed").isNotNull();
    try (ClientGuard next = ClientGuard.acquire(qmp, "next")) {
      assertThat(next).isNotNull();
    }
  }

  @Test
  void aRestoreOfAMissingStateFileReleasesTheGuard() {
    qemu.runState("inmigrate");
    Throwable e = catchThrowable(() -> restore().run());
    assertThat(e).isInstanceOf(CprCheckpointException.class);
    assertThat(((CprCheckpointException) e).reason())
        .isEqualTo(CprCheckpointException.Reason.MISSING);
    assertFree(e);
  }

  @Test
  void aRestoreWithAnUnreadableManifestReleasesTheGuard() throws Exception {
    qemu.runState("inmigrate");
    Files.writeString(stateFile, "state");
    Files.writeString(CprManifest.pathFor(stateFile), "{not json");
    Throwable e = catchThrowable(() -> restore().run());
    assertThat(e).isInstanceOf(CprCheckpointException.class);
    assertFree(e);
  }

  @Test
  void aRestoreThroughALinkToTheRootDirectoryReleasesTheGuard() throws Exception {
    // The builder accepts the link's name; the workflow resolves it to "/", which has no file
    // name and so no manifest path: the workflow is refused as it is set up.
    qemu.runState("inmigrate");
    Files.createSymbolicLink(stateFile, Path.of("/"));
    Throwable e = catchThrowable(() -> restore().run());
    assertFree(e);
  }

  @Test
  void aSaveWhosePreflightFailsReleasesTheGuard() {
    qemu.runState("inmigrate");
    Throwable e = catchThrowable(() -> save().run());
    assertThat(e).isInstanceOf(CprPreflightException.class);
    assertFree(e);
  }

  @Test
  void aSaveToAPathWithoutAFileNameReleasesTheGuard() {
    Throwable e = catchThrowable(() -> CprReboot.save(qmp).to(Path.of("/")).run());
    assertFree(e);
  }

  @Test
  void aCheckWhosePreflightFailsReleasesTheGuard() {
    qemu.runState("inmigrate");
    assertThat(save().check().hasErrors()).isTrue();
    assertFree(new IllegalStateException("the check found errors"));
  }

  @Test
  void anExecWhosePreflightFailsReleasesTheGuard() {
    qemu.runState("inmigrate");
    Throwable e =
        catchThrowable(
            () ->
                CprExec.of(qmp)
                    .newCommand(List.of(dir.resolve("no-such-qemu").toString()))
                    .stateFile(dir.resolve("exec.state"))
                    .run());
    assertFree(e);
  }

  @Test
  void aTransferWhosePreflightFailsReleasesTheGuard() {
    qemu.runState("inmigrate");
    Throwable e =
        catchThrowable(
            () ->
                CprTransfer.from(qmp)
                    .cprChannel(dir.resolve("cpr.sock"))
                    .mainChannel(dir.resolve("main.sock"))
                    .targetQmp(dir.resolve("target.sock"))
                    .run());
    assertFree(e);
  }
}

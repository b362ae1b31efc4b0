package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprCheckpointException.Reason;
import io.github.qemucpr.qmp.command.RunState;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Issue 11 review: breaks of the "trust at the edges" changes, each failing on the code. */
class ReviewIssue11Test extends FakeQemuTest {

  /**
   * SECURITY.md: a restore refuses "a checkpoint that another restore is loading (each restore
   * holds an exclusive lock on {@code <state>.lock} to its end)". A restore without a manifest (a
   * checkpoint from another tool, or one whose manifest was moved away as the MEMORY_FILE_REPLACED
   * hint says) neither takes nor checks the claim: it loads while another restore of the same
   * checkpoint holds it, onto the same shared RAM.
   */
  @Test
  void aRestoreWithoutAManifestStillRespectsAnotherRestoresClaim() throws Exception {
    qemu.runState = "inmigrate";
    Files.writeString(stateFile, "QEVM state bytes"); // no manifest
    try (LockHolder other = LockHolder.lock(stateFile.resolveSibling("vm.state.lock"))) {
      CprCheckpointException e = catchThrowableOfType(CprCheckpointException.class,
          () -> restore().run());
      assertThat(e).as("the restore loaded although another restore holds the claim; commands %s",
          qemu.commands()).isNotNull();
      assertThat(e.reason()).isEqualTo(Reason.RESTORE_IN_PROGRESS);
      assertThat(qemu.commands()).doesNotContain("migrate-incoming");
    }
  }

  /**
   * The claim opens {@code <state>.lock} with O_CREAT|O_WRONLY, following nothing but accepting
   * any existing node: a FIFO left there (by a script, or anyone who can write the directory)
   * blocks that open forever, so the restore hangs before it even reads the manifest, beyond its
   * own timeout, with the VM down. The claim should refuse anything but a regular file, and never
   * block.
   */
  @Test
  void aFifoAtTheLockPathDoesNotHangTheRestoreBeyondItsTimeout() throws Exception {
    qemu.runState = "inmigrate";
    Files.writeString(stateFile, "QEVM state bytes");
    CprManifest m = new CprManifest(CprManifest.FORMAT_VERSION, "10.0.2", "cpr-reboot",
        java.util.List.of("events"), java.util.List.of(), false, false, RunState.RUNNING,
        "vm.state", 16, io.github.qemucpr.api.internal.StateFiles.sha256(stateFile),
        java.time.Instant.now(), java.time.Instant.now(), null, null, null);
    io.github.qemucpr.api.internal.ManifestCodec.write(CprManifest.pathFor(stateFile), m);
    java.nio.file.Path fifo = stateFile.resolveSibling("vm.state.lock");
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
    java.util.concurrent.CompletableFuture<Throwable> outcome =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> {
          try {
            restore().timeout(Duration.ofSeconds(3)).run();
            return null;
          } catch (RuntimeException e) {
            return e;
          }
        });
    try {
      Throwable t = outcome.get(20, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(t).isInstanceOf(CprException.class);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("the restore still hangs 20 s after its 3 s timeout, in the open"
          + " of the FIFO at " + fifo, e);
    } finally {
      // unblock the stuck open, so that the test leaves no thread behind
      new ProcessBuilder("timeout", "2", "cat", fifo.toString()).start().waitFor();
    }
  }
}

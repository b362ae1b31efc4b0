package io.github.qemucpr.qga.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.launcher.QemuLaunchException;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.GuestAgentTimeoutException;
import io.github.qemucpr.qmp.QmpClient;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The test guest launcher itself: its options, and that nothing outlives it. */
@Timeout(180)
class BootTestGuestIT {

  @Test
  void failsEarlyWithQemusOutputWhenQemuExits() {
    // Ended by QEMU's exit, not by the launcher's wait for the greeting running out ("QEMU did
    // not greet on ... within ...").
    assertThatThrownBy(() -> TestGuest.builder().extraArgs("-no-such-option").start())
        .isInstanceOf(QemuLaunchException.class)
        .hasMessageStartingWith("QEMU exited with status 1")
        .hasMessageContaining("-no-such-option");
  }

  /**
   * With S3 disabled the guest kernel still offers "mem", as suspend-to-idle: qemu-ga accepts
   * guest-suspend-ram, the guest goes quiet, and QEMU stays "running" without a SUSPEND event, so
   * there is nothing system_wakeup could wake. QEMU's wakeup-suspend-support says true all the
   * same.
   */
  @Test
  void memfdGuestWithoutS3NeverReachesSuspended() throws Exception {
    try (TestGuest guest = TestGuest.builder().memfd().disableS3().memoryMiB(192).start();
        GuestAgentClient qga =
            GuestAgentClient.builder()
                .unixSocket(guest.qgaSocket())
                .syncTimeout(Duration.ofSeconds(1))
                .connect();
        QmpClient qmp = guest.connectQmp()) {
      assertThat(guest.memoryFile()).isEmpty();
      assertThat(guest.commandLine())
          .contains("memory-backend-memfd,id=ram0,size=192M,share=on", "ICH9-LPC.disable_s3=1");
      assertThat(
              qmp.execute("query-current-machine", null).path("wakeup-suspend-support").asBoolean())
          .isTrue();

      qga.suspendRam();
      Thread.sleep(2000);

      assertThat(qmp.execute("query-status", null).path("status").asString()).isEqualTo("running");
      assertThatThrownBy(qga::ping).isInstanceOf(GuestAgentTimeoutException.class);
    }
  }

  @Test
  void incomingDeferOnASharedMemoryFile() {
    Path memory;
    Path firstDir;
    try (TestGuest first = TestGuest.builder().incomingDefer().start()) {
      memory = first.memoryFile().orElseThrow();
      firstDir = first.directory();
      try (TestGuest second = TestGuest.builder().memoryFile(memory).incomingDefer().start();
          QmpClient qmp = second.connectQmp()) {
        assertThat(second.bootTime()).isEmpty();
        assertThat(second.commandLine()).containsSubsequence("-incoming", "defer");
        assertThat(qmp.execute("query-status", null).path("status").asString())
            .isEqualTo("inmigrate");
        second.kill9();
        assertThat(second.isAlive()).isFalse();
      }
      try (TestGuest third = first.startIncoming()) {
        assertThat(third.memoryFile()).contains(memory);
      }
      assertThat(memory).as("owned by the first guest").exists();
    }
    assertThat(memory).doesNotExist();
    assertThat(firstDir).doesNotExist();
  }
}

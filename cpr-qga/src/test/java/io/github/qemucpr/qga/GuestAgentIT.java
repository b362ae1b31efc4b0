package io.github.qemucpr.qga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qga.command.AgentInfo;
import io.github.qemucpr.qga.command.ExecResult;
import io.github.qemucpr.qga.command.FreezeState;
import io.github.qemucpr.qga.command.GuestPing;
import io.github.qemucpr.qga.command.OsInfo;
import io.github.qemucpr.qga.testing.TestGuest;
import io.github.qemucpr.qmp.EventWait;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.event.SuspendEvent;
import io.github.qemucpr.qmp.event.WakeupEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/** The client against qemu-ga in the real test guest, one boot for the whole class. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(120)
class GuestAgentIT {

  private static TestGuest guest;
  private static GuestAgentClient qga;

  @BeforeAll
  static void boot() {
    guest = TestGuest.boot();
    System.out.printf(
        "GuestAgentIT: boot to first agent reply: %d ms%n",
        guest.bootTime().orElseThrow().toMillis());
    qga = guest.connectAgent();
  }

  @AfterAll
  static void shutDown() {
    if (qga != null) {
      qga.close();
    }
    if (guest != null) {
      guest.close();
      assertThat(guest.directory()).doesNotExist();
      assertThat(guest.memoryFile().orElseThrow()).doesNotExist();
    }
  }

  @Test
  @Order(1)
  void ping() {
    qga.ping();
  }

  @Test
  @Order(2)
  void info() {
    AgentInfo info = qga.info();
    assertThat(info.version()).matches("\\d+\\.\\d+.*");
    assertThat(info.command("guest-suspend-ram").orElseThrow())
        .satisfies(
            c -> {
              assertThat(c.enabled()).isTrue();
              assertThat(c.successResponse()).isFalse();
            });
    assertThat(info.isEnabled("guest-exec")).isTrue();
    assertThat(info.isEnabled("guest-sync-delimited")).isTrue();
  }

  @Test
  @Order(3)
  void osInfo() {
    OsInfo os = qga.osInfo();
    assertThat(os.kernelRelease()).endsWith("-amd64");
    assertThat(os.machine()).isEqualTo("x86_64");
  }

  @Test
  @Order(4)
  void hostNameAndTime() {
    assertThat(qga.hostName()).isNotBlank();
    assertThat(Duration.between(qga.time(), Instant.now()).abs()).isLessThan(Duration.ofMinutes(5));
  }

  @Test
  @Order(5)
  void execReadsTheBootId() {
    ExecResult result =
        qga.run("cat", List.of("/proc/sys/kernel/random/boot_id"), Duration.ofSeconds(30));
    assertThat(result.succeeded()).isTrue();
    String bootId = result.stdout().strip();
    assertThat(bootId).hasSize(36).isEqualTo(guest.bootId().orElseThrow());
  }

  @Test
  @Order(6)
  void execReportsExitCodeAndStderr() {
    ExecResult result =
        qga.run("sh", List.of("-c", "echo oops >&2; exit 3"), Duration.ofSeconds(30));
    assertThat(result.exitCode()).isEqualTo(3);
    assertThat(result.stderr()).isEqualTo("oops\n");
  }

  @Test
  @Order(7)
  void fsfreezeStatus() {
    assertThat(qga.fsfreezeStatus()).isEqualTo(FreezeState.THAWED);
  }

  @Test
  @Order(8)
  void errorsOfTheRealAgent() {
    assertThatThrownBy(qga::suspendHybrid)
        .isExactlyInstanceOf(GuestAgentCommandException.class)
        .hasMessageContaining("not supported");
    assertThatThrownBy(() -> qga.execute("guest-no-such-command", null))
        .isInstanceOf(GuestAgentCommandUnavailableException.class);
    qga.ping();
  }

  @Test
  @Order(100)
  void suspendToRamAndWakeUp() throws Exception {
    String bootId = guest.bootId().orElseThrow();
    try (QmpClient qmp = guest.connectQmp()) {
      assertThat(runState(qmp)).isEqualTo("running");
      EventWait<SuspendEvent> suspendEvent = qmp.expectEvent(SuspendEvent.class, e -> true);
      CompletableFuture<Long> eventAt = suspendEvent.future().thenApply(e -> System.nanoTime());
      long start = System.nanoTime();
      CompletableFuture<Long> suspendedAt =
          CompletableFuture.supplyAsync(() -> pollUntilSuspended(qmp, start));

      qga.suspendRam();
      long returnedAt = System.nanoTime();

      long stateNanos = suspendedAt.get(10, TimeUnit.SECONDS) - start;
      long eventNanos = eventAt.get(5, TimeUnit.SECONDS) - start;
      suspendEvent.close();
      System.out.printf(
          "GuestAgentIT: guest-suspend-ram to SUSPEND event: %d ms, to runstate suspended"
              + " (query-status every 10 ms): %d ms; suspendRam() returned after %d ms%n",
          eventNanos / 1_000_000, stateNanos / 1_000_000, (returnedAt - start) / 1_000_000);
      // The poll saw "suspended" (it fails after 10 s otherwise); how soon is measured, not
      // asserted.

      // A command sent while the guest sleeps is answered once it wakes up.
      CompletableFuture<Void> ping = qga.executeAsync(new GuestPing());
      Thread.sleep(300);
      assertThat(ping).isNotDone();
      try (EventWait<WakeupEvent> wakeup = qmp.expectEvent(WakeupEvent.class, e -> true)) {
        qmp.execute("system_wakeup", null);
        wakeup.await(Duration.ofSeconds(10));
      }
      ping.get(10, TimeUnit.SECONDS);
      assertThat(runState(qmp)).isEqualTo("running");
    }
    qga.ping();
    String after =
        qga.run("cat", List.of("/proc/sys/kernel/random/boot_id"), Duration.ofSeconds(30))
            .stdout()
            .strip();
    assertThat(after).as("the same boot, not a reboot").isEqualTo(bootId);
    long beat = guest.lastHeartbeat().orElseThrow();
    assertThat(guest.awaitHeartbeatAfter(beat, Duration.ofSeconds(10))).isGreaterThan(beat);
  }

  private static String runState(QmpClient qmp) {
    return qmp.execute("query-status", null).path("status").asString();
  }

  private static long pollUntilSuspended(QmpClient qmp, long start) {
    while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10)) {
      if (runState(qmp).equals("suspended")) {
        return System.nanoTime();
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    throw new AssertionError("the runstate did not become suspended");
  }
}

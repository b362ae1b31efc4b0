package io.github.qemucpr.qmp.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.internal.wire.DeadlineTimer;
import io.github.qemucpr.testing.FakeQmpServer;
import io.github.qemucpr.testing.Responders;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * The one deadline timer that every client in the JVM shares: it runs no caller's code, a slow
 * caller on one client holds up no other client's timeout, and a deadline that is no longer needed
 * leaves the timer.
 */
@Timeout(60)
class DeadlinesTest {

  @Test
  void anExpiryRunsOffTheTimerThread() throws Exception {
    CompletableFuture<String> ranOn = new CompletableFuture<>();
    Deadlines.schedule(
        () -> ranOn.complete(Thread.currentThread().getName()), Duration.ofMillis(1));
    assertThat(ranOn.get(5, TimeUnit.SECONDS)).startsWith("cpr-qmp-timeouts-");
  }

  @Test
  void aBlockedExpiryHoldsUpNoOther() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch second = new CountDownLatch(1);
    try {
      Deadlines.schedule(() -> await(release), Duration.ofMillis(1));
      Deadlines.schedule(second::countDown, Duration.ofMillis(50));
      assertThat(second.await(5, TimeUnit.SECONDS)).as("the second expiry ran").isTrue();
    } finally {
      release.countDown();
    }
  }

  @Test
  void aCancelledDeadlineLeavesTheTimer() {
    int before = Deadlines.queued();
    List<DeadlineTimer.Deadline> deadlines = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      deadlines.add(Deadlines.schedule(() -> {}, Duration.ofMinutes(5)));
    }
    assertThat(Deadlines.queued()).isGreaterThanOrEqualTo(before + 1000);
    deadlines.forEach(DeadlineTimer.Deadline::cancel);
    assertThat(Deadlines.queued()).isLessThanOrEqualTo(before);
  }

  @Test
  void answeredCallsLeaveNoDeadlineBehind() {
    try (FakeQmpServer server = FakeQmpServer.start()) {
      server.on("ping", Responders.returns("{}"));
      try (QmpClient qmp = QmpClient.connect(server.socketPath())) {
        int before = Deadlines.queued();
        List<CompletableFuture<JsonNode>> calls = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
          calls.add(qmp.executeAsync("ping", null, Duration.ofMinutes(5)));
        }
        calls.forEach(CompletableFuture::join);
        assertThat(Deadlines.queued()).isLessThanOrEqualTo(before);
      }
    }
  }

  @Test
  void aSlowStageOnOneClientsTimeoutDelaysNoOtherClientsTimeout() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (FakeQmpServer a = FakeQmpServer.start();
        FakeQmpServer b = FakeQmpServer.start()) {
      a.on("hang", Responders.silent());
      b.on("hang", Responders.silent());
      try (QmpClient slow = QmpClient.connect(a.socketPath());
          QmpClient other = QmpClient.connect(b.socketPath())) {
        CompletableFuture<String> stageRanOn = new CompletableFuture<>();
        slow.executeAsync("hang", null, Duration.ofMillis(50))
            .whenComplete(
                (r, e) -> {
                  stageRanOn.complete(Thread.currentThread().getName());
                  await(release); // the caller's slow stage, attached without an executor
                });
        assertThat(stageRanOn.get(5, TimeUnit.SECONDS))
            .as("the thread that ran the caller's stage")
            .isNotEqualTo("cpr-qmp-deadlines");

        // The slow stage still holds its thread; the other client's call times out all the same.
        CompletableFuture<JsonNode> call = other.executeAsync("hang", null, Duration.ofMillis(100));
        assertThatThrownBy(() -> call.get(5, TimeUnit.SECONDS))
            .hasCauseInstanceOf(QmpTimeoutException.class);
      } finally {
        release.countDown();
      }
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

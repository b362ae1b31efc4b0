package io.github.qemucpr.api.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.event.MigrationEvent;
import io.github.qemucpr.testing.FakeQmpServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The workflows' own waits for {@code MIGRATION}, {@code STOP} and {@code RESUME} are never dropped
 * and never held up: not by a flood of other events, not by a user's listener that stalls or
 * throws.
 */
@Timeout(60)
class MigrationWatcherTest {

  private final FakeQmpServer server = FakeQmpServer.start();
  private final CountDownLatch release = new CountDownLatch(1);
  private QmpClient qmp;

  @AfterEach
  void tearDown() {
    release.countDown();
    if (qmp != null) {
      qmp.close();
    }
    server.close();
  }

  @Test
  void aFloodOfOtherEventsWhileAUserListenerStallsDoesNotHideTheMigrationsEnd() throws Exception {
    qmp = QmpClient.connect(server.socketPath());
    CountDownLatch entered = new CountDownLatch(1);
    qmp.subscribe(
        e -> {
          entered.countDown();
          await(release); // a user's listener stuck on a lock of its own
        });
    server.sendEvent("SOMETHING", null);
    assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();

    try (MigrationWatcher watcher = new MigrationWatcher(qmp)) {
      server.sendBytes(noise(20_000));
      server.sendEvent("MIGRATION", "{\"status\": \"setup\"}");
      server.sendEvent("STOP", null);
      server.sendBytes(noise(20_000));
      server.sendEvent("MIGRATION", "{\"status\": \"active\"}");
      server.sendBytes(noise(20_000));
      server.sendEvent("MIGRATION", "{\"status\": \"completed\"}");
      server.sendEvent("RESUME", null);

      List<MigrationStatus> before = new ArrayList<>();
      MigrationEvent end =
          watcher.awaitFinished(Duration.ofSeconds(10), e -> before.add(e.status()));

      assertThat(end.status()).isEqualTo(MigrationStatus.COMPLETED);
      assertThat(before).containsExactly(MigrationStatus.SETUP, MigrationStatus.ACTIVE);
      assertThat(watcher.firstStop()).isNotNull();
      assertThat(watcher.awaitResume(Duration.ofSeconds(5))).isTrue();
      assertThat(watcher.firstResume()).isNotNull();
    }
  }

  @Test
  void aUserListenerThatThrowsAnErrorDoesNotBreakTheWorkflowsWait() {
    qmp = QmpClient.connect(server.socketPath());
    List<String> seenByListener = new CopyOnWriteArrayList<>();
    qmp.subscribe(
        e -> {
          seenByListener.add(e.name());
          throw new StackOverflowError("a user listener's bug");
        });

    try (MigrationWatcher watcher = new MigrationWatcher(qmp)) {
      server.sendEvent("STOP", null);
      server.sendEvent("MIGRATION", "{\"status\": \"completed\"}");
      server.sendEvent("RESUME", null);

      assertThat(watcher.awaitFinished(Duration.ofSeconds(5), e -> {}).status())
          .isEqualTo(MigrationStatus.COMPLETED);
      assertThat(watcher.awaitResume(Duration.ofSeconds(5))).isTrue();
      assertThat(watcher.firstStop()).isNotNull();
    }
    assertThat(qmp.isOpen()).isTrue();
  }

  @Test
  void theWaitSeesTheEventsQemuSentBeforeItWentAwayThenReportsTheClose() {
    qmp = QmpClient.connect(server.socketPath());
    try (MigrationWatcher watcher = new MigrationWatcher(qmp)) {
      server.sendEvent("MIGRATION", "{\"status\": \"completed\"}");
      server.disconnect();

      assertThat(watcher.awaitFinished(Duration.ofSeconds(5), e -> {}).status())
          .isEqualTo(MigrationStatus.COMPLETED);
      assertThatThrownBy(() -> watcher.awaitFinished(Duration.ofSeconds(5), e -> {}))
          .isInstanceOf(QmpConnectionClosedException.class)
          .hasMessageContaining("closed while waiting for the migration");
      assertThat(watcher.awaitResume(Duration.ofMillis(100))).isFalse();
      assertThat(watcher.firstResume()).isNull();
    }
  }

  @Test
  void noFinalEventInTimeIsATimeoutThatNamesThePeer() {
    qmp = QmpClient.connect(server.socketPath());
    try (MigrationWatcher watcher = new MigrationWatcher(qmp)) {
      server.sendEvent("MIGRATION", "{\"status\": \"active\"}");

      List<MigrationStatus> seen = new ArrayList<>();
      assertThatThrownBy(
              () -> watcher.awaitFinished(Duration.ofMillis(300), e -> seen.add(e.status())))
          .isInstanceOf(QmpTimeoutException.class)
          .hasMessageContaining("the migration did not end within")
          .hasMessageContaining(server.socketPath().toString());
      assertThat(seen).containsExactly(MigrationStatus.ACTIVE);
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** {@code count} events named NOISE, as one write. */
  private static byte[] noise(int count) {
    StringBuilder text = new StringBuilder(count * 90);
    for (int i = 0; i < count; i++) {
      text.append("{\"event\": \"NOISE\", \"data\": {\"i\": ")
          .append(i)
          .append("}, \"timestamp\": {\"seconds\": 1795735760, \"microseconds\": 0}}\n");
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }
}

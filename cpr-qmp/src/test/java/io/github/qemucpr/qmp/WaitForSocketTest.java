package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.testing.FakeQmpServer;
import io.github.qemucpr.testing.Responders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link QmpClient.Builder#waitForSocket}: connect waits for a monitor that is not up yet, as while
 * QEMU starts; without it, a missing socket fails at once; a monitor that accepts but never greets
 * is not tried again.
 */
@Timeout(60)
class WaitForSocketTest {

  @TempDir Path dir;
  private final FakeQmpServer server = FakeQmpServer.start();
  private QmpClient qmp;

  @AfterEach
  void tearDown() {
    if (qmp != null) {
      qmp.close();
    }
    server.close();
    ThreadLeaks.assertNoClientThreads();
  }

  @Test
  void connectWaitsForASocketThatAppearsLater() throws Exception {
    server.on("query-status", Responders.returns("{\"status\": \"running\", \"running\": true}"));
    Path late = dir.resolve("qmp.sock");
    CompletableFuture<QmpClient> connecting =
        CompletableFuture.supplyAsync(
            () ->
                QmpClient.builder()
                    .unixSocket(late)
                    .waitForSocket(Duration.ofSeconds(30))
                    .connect());
    Thread.sleep(200); // tries against a missing socket first
    assertThat(connecting).isNotDone();

    Files.createSymbolicLink(late, server.socketPath());
    qmp = connecting.get(30, TimeUnit.SECONDS);

    assertThat(qmp.execute(new QueryStatus()).running()).isTrue();
  }

  @Test
  void aWaitLongerThanNanosecondsCanCountStillConnects() {
    server.on("query-status", Responders.returns("{\"status\": \"running\", \"running\": true}"));

    // "As long as it takes": the socket is there, so connect must not fail on the wait's length.
    qmp =
        QmpClient.builder()
            .unixSocket(server.socketPath())
            .waitForSocket(java.time.temporal.ChronoUnit.FOREVER.getDuration())
            .connect();

    assertThat(qmp.execute(new QueryStatus()).running()).isTrue();
  }

  @Test
  void timeoutsOfForeverAreAsLongAsItTakes() {
    server.on("query-status", Responders.returns("{\"status\": \"running\", \"running\": true}"));
    Duration forever = java.time.temporal.ChronoUnit.FOREVER.getDuration();

    qmp =
        QmpClient.builder()
            .unixSocket(server.socketPath())
            .connectTimeout(forever)
            .commandTimeout(forever)
            .connect();

    assertThat(qmp.execute(new QueryStatus()).running()).isTrue();
    assertThat(qmp.execute(new QueryStatus(), forever).running()).isTrue();
  }

  @Test
  void withoutItAMissingSocketFailsAtOnce() {
    assertThatThrownBy(() -> QmpClient.builder().unixSocket(dir.resolve("none.sock")).connect())
        .isInstanceOf(QmpConnectException.class)
        .hasMessageContaining("none.sock");
  }

  @Test
  void aMissingSocketFailsAsMissingWhenTheWaitEnds() {
    assertThatThrownBy(
            () ->
                QmpClient.builder()
                    .unixSocket(dir.resolve("never.sock"))
                    .waitForSocket(Duration.ofMillis(200))
                    .connect())
        .isInstanceOf(QmpConnectException.class)
        .hasMessageContaining("never.sock");
  }

  @Test
  void aMonitorThatNeverGreetsIsNotTriedAgain() {
    server.greeting(null);

    assertThatThrownBy(
            () ->
                QmpClient.builder()
                    .unixSocket(server.socketPath())
                    .connectTimeout(Duration.ofMillis(300))
                    .waitForSocket(Duration.ofMinutes(10))
                    .connect())
        .as("the greeting's timeout ends connect, although the wait for the socket is longer")
        .isInstanceOf(QmpTimeoutException.class)
        .hasMessageContaining("no QMP greeting");
  }

  @Test
  void anInterruptEndsTheWaitAndKeepsTheFlag() throws Exception {
    CompletableFuture<Throwable> thrown = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                QmpClient.builder()
                    .unixSocket(dir.resolve("never.sock"))
                    .waitForSocket(Duration.ofMinutes(10))
                    .connect();
                thrown.complete(null);
              } catch (RuntimeException e) {
                thrown.complete(
                    Thread.currentThread().isInterrupted()
                        ? e
                        : new AssertionError("flag lost", e));
              }
            });
    t.start();
    Thread.sleep(200);
    t.interrupt();

    assertThat(thrown.get(30, TimeUnit.SECONDS)).isInstanceOf(QmpInterruptedException.class);
  }
}

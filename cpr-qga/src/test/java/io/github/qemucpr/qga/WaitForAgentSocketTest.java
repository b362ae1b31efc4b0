package io.github.qemucpr.qga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.testing.FakeGuestAgent;
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
 * {@link GuestAgentClient.Builder#waitForSocket}, as in {@code QmpClient.Builder}: connect waits
 * for an agent socket that is not there yet; without it, a missing socket fails at once.
 */
@Timeout(60)
class WaitForAgentSocketTest {

  @TempDir Path dir;
  private final FakeGuestAgent agent = FakeGuestAgent.start();
  private GuestAgentClient qga;

  @AfterEach
  void tearDown() {
    if (qga != null) {
      qga.close();
    }
    agent.close();
  }

  @Test
  void connectWaitsForASocketThatAppearsLater() throws Exception {
    Path late = dir.resolve("qga.sock");
    CompletableFuture<GuestAgentClient> connecting =
        CompletableFuture.supplyAsync(
            () ->
                GuestAgentClient.builder()
                    .unixSocket(late)
                    .waitForSocket(Duration.ofSeconds(30))
                    .connect());
    Thread.sleep(200);
    assertThat(connecting).isNotDone();

    Files.createSymbolicLink(late, agent.socketPath());
    qga = connecting.get(30, TimeUnit.SECONDS);

    qga.ping();
  }

  @Test
  void withoutItAMissingSocketFailsAtOnce() {
    assertThatThrownBy(
            () -> GuestAgentClient.builder().unixSocket(dir.resolve("none.sock")).connect())
        .isInstanceOf(GuestAgentConnectException.class)
        .hasMessageContaining("none.sock");
  }
}

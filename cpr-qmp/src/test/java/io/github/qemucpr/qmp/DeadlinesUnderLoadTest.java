package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.testing.FakeQmpServer;
import io.github.qemucpr.testing.Responders;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The deadline timer through the public API, under load: many clients with many calls at once, most
 * answered (their deadlines cancelled), the rest unanswered, each of which must end in its timeout;
 * and writes to monitors that stopped reading, which must end in a closed connection while other
 * clients go on.
 */
@Timeout(120)
class DeadlinesUnderLoadTest {

  private static final Duration DONE = Duration.ofSeconds(30);

  @Test
  void everyUnansweredCallOfManyClientsEndsInItsTimeout() throws Exception {
    int clients = 6;
    int callsEach = 60;
    List<FakeQmpServer> servers = new ArrayList<>();
    List<QmpClient> qmps = new ArrayList<>();
    try {
      for (int c = 0; c < clients; c++) {
        FakeQmpServer server = FakeQmpServer.start();
        servers.add(server);
        server.on("ping", Responders.returns("{}"));
        server.on("hang", Responders.silent());
        qmps.add(QmpClient.connect(server.socketPath()));
      }
      List<CompletableFuture<JsonNode>> answered = new ArrayList<>();
      List<CompletableFuture<JsonNode>> unanswered = new ArrayList<>();
      for (int i = 0; i < callsEach; i++) {
        for (QmpClient qmp : qmps) {
          answered.add(qmp.executeAsync("ping", null, Duration.ofMinutes(10)));
          unanswered.add(qmp.executeAsync("hang", null, Duration.ofMillis(10 + (i * 37L) % 400)));
        }
      }
      for (CompletableFuture<JsonNode> call : answered) {
        assertThat(call.get(DONE.toSeconds(), TimeUnit.SECONDS)).isNotNull();
      }
      for (CompletableFuture<JsonNode> call : unanswered) {
        Throwable failure = failureOf(call);
        assertThat(failure).isInstanceOf(QmpTimeoutException.class);
      }
      for (QmpClient qmp : qmps) {
        assertThat(qmp.isOpen()).as("a reply timeout leaves the connection open").isTrue();
      }
    } finally {
      qmps.forEach(QmpClient::close);
      servers.forEach(FakeQmpServer::close);
    }
  }

  @Test
  void writesToMonitorsThatStoppedReadingEndAndOtherClientsGoOn() throws Exception {
    int stuck = 3;
    CountDownLatch release = new CountDownLatch(1);
    List<FakeQmpServer> servers = new ArrayList<>();
    List<QmpClient> qmps = new ArrayList<>();
    try {
      FakeQmpServer healthy = FakeQmpServer.start();
      servers.add(healthy);
      healthy.on("ping", Responders.returns("{}"));
      QmpClient other = QmpClient.connect(healthy.socketPath());
      qmps.add(other);
      ObjectNode big = JsonNodeFactory.instance.objectNode();
      big.put("data", "x".repeat(8 << 20));
      List<QmpClient> stuckClients = new ArrayList<>();
      List<CompletableFuture<JsonNode>> stuckCalls = new ArrayList<>();
      for (int c = 0; c < stuck; c++) {
        FakeQmpServer server = FakeQmpServer.start();
        servers.add(server);
        // The monitor stops reading: its reader waits here until the test ends.
        server.on(
            "stall",
            (request, exchange) -> {
              try {
                release.await(2, TimeUnit.MINUTES);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
        QmpClient qmp = QmpClient.connect(server.socketPath());
        qmps.add(qmp);
        stuckClients.add(qmp);
        qmp.executeAsync("stall", null, Duration.ofMinutes(5));
        stuckCalls.add(
            CompletableFuture.supplyAsync(
                    () -> qmp.executeAsync("x-big", big, Duration.ofMillis(300)))
                .thenCompose(f -> f));
      }
      for (int i = 0; i < 200; i++) {
        assertThat(
                other.executeAsync("ping", null, Duration.ofMinutes(1)).get(30, TimeUnit.SECONDS))
            .isNotNull();
      }
      for (CompletableFuture<JsonNode> call : stuckCalls) {
        Throwable failure = failureOf(call);
        assertThat(failure)
            .as("a call whose request the monitor never read")
            .isInstanceOfAny(QmpTimeoutException.class, QmpConnectionClosedException.class);
      }
      for (QmpClient qmp : stuckClients) {
        assertThat(qmp.closeFuture().get(30, TimeUnit.SECONDS))
            .as("the connection under the stuck write was closed")
            .isNotNull();
      }
      assertThat(other.isOpen()).isTrue();
    } finally {
      release.countDown();
      qmps.forEach(QmpClient::close);
      servers.forEach(FakeQmpServer::close);
    }
  }

  private static Throwable failureOf(CompletableFuture<?> call) throws Exception {
    try {
      call.get(DONE.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("the call succeeded");
  }
}

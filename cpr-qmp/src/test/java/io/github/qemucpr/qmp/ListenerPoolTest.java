package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.event.GenericEvent;
import io.github.qemucpr.qmp.event.QmpEvent;
import io.github.qemucpr.testing.FakeQmpServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The listeners of all clients run on one pool, only while events wait for them (issue 14). Each
 * client's listeners still get its events in order, and one client's stuck listener holds up no
 * other client's events.
 */
@Timeout(60)
class ListenerPoolTest {

  private final List<FakeQmpServer> servers = new ArrayList<>();
  private final List<QmpClient> clients = new ArrayList<>();
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void tearDown() {
    release.countDown();
    clients.forEach(QmpClient::close);
    servers.forEach(FakeQmpServer::close);
    ThreadLeaks.assertNoClientThreads();
  }

  private FakeQmpServer server() {
    FakeQmpServer server = FakeQmpServer.start();
    servers.add(server);
    return server;
  }

  private QmpClient connect(FakeQmpServer server) {
    QmpClient qmp = QmpClient.connect(server.socketPath());
    clients.add(qmp);
    return qmp;
  }

  @Test
  void aStuckListenerOnOneClientHoldsUpNoOtherClientsEvents() throws Exception {
    FakeQmpServer stuckServer = server();
    FakeQmpServer otherServer = server();
    QmpClient stuck = connect(stuckServer);
    QmpClient other = connect(otherServer);
    CountDownLatch stuckGotOne = new CountDownLatch(1);
    stuck.subscribe(
        e -> {
          stuckGotOne.countDown();
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
          }
        });
    BlockingQueue<QmpEvent> seen = new LinkedBlockingQueue<>();
    other.subscribe(seen::add);

    stuckServer.sendEvent("STOP", null);
    assertThat(stuckGotOne.await(5, TimeUnit.SECONDS)).as("the stuck listener's event").isTrue();
    stuckServer.sendEvent("RESUME", null); // queued behind the stuck one
    for (int i = 0; i < 3; i++) {
      otherServer.sendEvent("STOP", null);
      assertThat(seen.poll(5, TimeUnit.SECONDS)).as("the other client's event %d", i).isNotNull();
    }
  }

  @Test
  void eachClientsListenersGetItsEventsInOrder() throws Exception {
    int perClient = 300;
    List<FakeQmpServer> sources = new ArrayList<>();
    List<List<Integer>> received = new ArrayList<>();
    for (int c = 0; c < 6; c++) {
      FakeQmpServer server = server();
      QmpClient qmp = connect(server);
      List<Integer> mine = new CopyOnWriteArrayList<>();
      qmp.subscribe(e -> mine.add(((GenericEvent) e).data().get("n").asInt()));
      qmp.subscribe(
          e -> {
            if (mine.size() % 50 == 0) {
              Thread.yield(); // a listener that now and then lets the pool's thread go
            }
          });
      sources.add(server);
      received.add(mine);
    }
    for (int i = 0; i < perClient; i++) {
      for (FakeQmpServer server : sources) {
        assertThat(server.emitEvent("TEST_SEQUENCE", "{\"n\": " + i + "}")).isTrue();
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (received.stream().anyMatch(r -> r.size() < perClient) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < perClient; i++) {
      expected.add(i);
    }
    for (List<Integer> r : received) {
      assertThat(r).containsExactlyElementsOf(expected);
    }
  }
}

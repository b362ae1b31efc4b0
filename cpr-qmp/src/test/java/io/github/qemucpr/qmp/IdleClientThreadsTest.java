package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.testing.FakeQmpServer;
import io.github.qemucpr.testing.Responders;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What idle clients cost in threads (issue 14: a host with hundreds of VMs holds a client per VM).
 * Each client has had a command answered and an event delivered to its listener, then idles: the
 * SDK's threads may then number at most {@link #PER_CLIENT} per client plus {@link #SHARED} for the
 * whole JVM, whatever the number of clients. A count, not a time: the threads are counted once they
 * have settled (a pool's thread ends a little after its last task), within a deadline.
 */
@Timeout(120)
class IdleClientThreadsTest {

  /**
   * The threads one idle client may keep: its reader. Listeners run on a shared pool only while
   * events wait for them.
   */
  static final int PER_CLIENT = 1;

  /**
   * The threads that all clients in the JVM may keep (the deadline timer, the write watchdog, a
   * listener thread, each a little after its last task).
   */
  static final int SHARED = 4;

  @Test
  void idleClientsKeepAFixedNumberOfThreadsEach() throws Exception {
    int before = sdkThreads().values().stream().mapToInt(Integer::intValue).sum();
    for (int n : new int[] {10, 40}) {
      List<FakeQmpServer> servers = new ArrayList<>();
      List<QmpClient> clients = new ArrayList<>();
      AtomicInteger events = new AtomicInteger();
      try {
        for (int i = 0; i < n; i++) {
          FakeQmpServer server = FakeQmpServer.start();
          servers.add(server);
          server.on(
              "query-status",
              Responders.returns("{\"status\":\"running\",\"singlestep\":false,\"running\":true}"));
          QmpClient qmp = QmpClient.connect(server.socketPath());
          clients.add(qmp);
          qmp.subscribe(e -> events.incrementAndGet());
          qmp.execute(new QueryStatus());
          assertThat(server.emitEvent("RESUME", null)).isTrue();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (events.get() < n && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        assertThat(events.get()).as("events delivered to the listeners").isEqualTo(n);

        int allowed = before + n * PER_CLIENT + SHARED;
        Map<String, Integer> threads = settle(allowed);
        assertThat(threads.values().stream().mapToInt(Integer::intValue).sum())
            .as("the SDK's threads with %d idle clients: %s", n, threads)
            .isLessThanOrEqualTo(allowed);
        for (QmpClient qmp : clients) {
          assertThat(qmp.isOpen()).isTrue();
        }
      } finally {
        clients.forEach(QmpClient::close);
        servers.forEach(FakeQmpServer::close);
      }
    }
    ThreadLeaks.assertNoClientThreads();
  }

  /** The SDK's threads once they number at most {@code allowed}, or after 10 s. */
  private static Map<String, Integer> settle(int allowed) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Map<String, Integer> threads = sdkThreads();
    while (threads.values().stream().mapToInt(Integer::intValue).sum() > allowed
        && System.nanoTime() < deadline) {
      Thread.sleep(50);
      threads = sdkThreads();
    }
    return threads;
  }

  /** The live threads of the SDK, per client ({@code qmp-}) or shared ({@code cpr-}), by name. */
  private static Map<String, Integer> sdkThreads() {
    Map<String, Integer> names = new TreeMap<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      String name = t.getName();
      if (t.isAlive() && (name.startsWith("qmp-") || name.startsWith("cpr-"))) {
        names.merge(name.replaceAll("[0-9]+", "#"), 1, Integer::sum);
      }
    }
    return names;
  }
}

package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.event.QmpEvent;
import io.github.qemucpr.qmp.event.ResumeEvent;
import io.github.qemucpr.testing.FakeQmpServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link QmpClient.Builder#onConnect} and the reconnect overload that takes a hook: queues opened
 * there see the events a QEMU sends right after its negotiation, such as the {@code RESUME} of a
 * QEMU that comes back from cpr-exec, which a queue opened after {@code connect()} returns can
 * miss. The fake sends the event in the same write as the negotiation's reply, so it reaches the
 * client before {@code connect()} returns.
 */
class QmpOnConnectTest {

  private static final Duration WAIT = Duration.ofSeconds(5);

  private final FakeQmpServer server = FakeQmpServer.start();
  private final List<QmpClient> clients = new ArrayList<>();

  @AfterEach
  void tearDown() {
    clients.forEach(QmpClient::close);
    server.close();
    ThreadLeaks.assertNoClientThreads();
  }

  private void resumeRightAfterNegotiation(FakeQmpServer s) {
    s.on(
        "qmp_capabilities",
        (req, ex) ->
            ex.raw(
                "{\"return\": {}, \"id\": "
                    + req.id()
                    + "}\n{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1, \"microseconds\":"
                    + " 2}}\n"));
  }

  @Test
  void aQueueOpenedInTheHookSeesTheFirstEventAfterTheNegotiation() {
    resumeRightAfterNegotiation(server);
    AtomicReference<EventQueue<QmpEvent>> queue = new AtomicReference<>();
    QmpClient qmp =
        QmpClient.builder()
            .unixSocket(server.socketPath())
            .onConnect(c -> queue.set(c.openEventQueue(QmpEvent.class)))
            .connect();
    clients.add(qmp);

    assertThat(queue.get()).isNotNull();
    assertThat(queue.get().take(WAIT)).isInstanceOf(ResumeEvent.class);
  }

  @Test
  void aCommandRunFromTheHookFailsTheConnectAndIsNeverSent() {
    assertThatThrownBy(
            () ->
                QmpClient.builder()
                    .unixSocket(server.socketPath())
                    .onConnect(c -> c.execute("query-status", null))
                    .connect())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("query-status")
        .hasMessageContaining("onConnect");
    assertThat(server.commandNames()).isEmpty();
  }

  @Test
  void whatTheHookThrowsEndsTheConnectAndClosesTheConnection() {
    RuntimeException boom = new IllegalArgumentException("boom");
    assertThatThrownBy(
            () ->
                QmpClient.builder()
                    .unixSocket(server.socketPath())
                    .onConnect(
                        c -> {
                          throw boom;
                        })
                    .connect())
        .isSameAs(boom);
    // tearDown checks that the connection's threads ended.
  }

  @Test
  void theHookIsSetOnceAndNotNull() {
    QmpClient.Builder b = QmpClient.builder().onConnect(c -> {});
    assertThatThrownBy(() -> b.onConnect(c -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("onConnect");
    assertThatThrownBy(() -> QmpClient.builder().onConnect(null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void reconnectRunsTheBuildersHookThenItsOwnBeforeTheFirstEvent() {
    List<String> calls = new CopyOnWriteArrayList<>();
    QmpClient old =
        QmpClient.builder()
            .unixSocket(server.socketPath())
            .onConnect(c -> calls.add("builder"))
            .connect();
    clients.add(old);
    server.awaitConnection();
    resumeRightAfterNegotiation(server);
    server.disconnect(); // as QEMU does when it re-executes

    AtomicReference<EventQueue<ResumeEvent>> resume = new AtomicReference<>();
    QmpReconnection again =
        QmpClient.reconnect(
            old,
            WAIT,
            c -> {
              calls.add("reconnect");
              resume.set(c.openEventQueue(ResumeEvent.class));
            });
    clients.add(again.client());

    assertThat(calls).containsExactly("builder", "builder", "reconnect");
    assertThat(resume.get().take(WAIT).timestamp().getEpochSecond()).isEqualTo(1);
  }
}

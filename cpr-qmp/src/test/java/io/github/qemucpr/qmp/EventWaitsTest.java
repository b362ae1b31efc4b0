package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.event.GenericEvent;
import io.github.qemucpr.qmp.event.MigrationEvent;
import io.github.qemucpr.qmp.event.QmpEvent;
import io.github.qemucpr.qmp.event.ResumeEvent;
import io.github.qemucpr.qmp.event.StopEvent;
import io.github.qemucpr.testing.FakeQmpServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Event waits never depend on listeners: a listener that throws, an {@code Error} included, takes
 * the event from no other listener and no wait, and one that stalls delays no wait, even while the
 * events queued behind it overflow.
 */
@Timeout(60)
class EventWaitsTest {

  private final FakeQmpServer server = FakeQmpServer.start();
  private final List<QmpClient> clients = new ArrayList<>();
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void tearDown() {
    release.countDown();
    clients.forEach(QmpClient::close);
    server.close();
    ThreadLeaks.assertNoClientThreads();
  }

  private QmpClient connect() {
    QmpClient qmp = QmpClient.connect(server.socketPath());
    clients.add(qmp);
    return qmp;
  }

  /** A listener that never returns until the test ends, as a user's listener stuck on a lock. */
  private QmpEventListener stalled(CountDownLatch entered) {
    return e -> {
      entered.countDown();
      try {
        release.await();
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
      }
    };
  }

  @Test
  void aListenerThatThrowsAnErrorTakesTheEventFromNoOtherListenerAndNoWait() throws Exception {
    QmpClient qmp = connect();
    AtomicInteger thrown = new AtomicInteger();
    qmp.subscribe(
        e -> {
          thrown.incrementAndGet();
          throw new StackOverflowError("a user listener's bug");
        });
    BlockingQueue<QmpEvent> second = new LinkedBlockingQueue<>();
    qmp.subscribe(second::add);
    EventWait<ResumeEvent> resumed = qmp.expectEvent(ResumeEvent.class, e -> true);

    server.sendEvent("STOP", null);
    server.sendEvent("RESUME", null);

    assertThat(second.poll(5, TimeUnit.SECONDS)).isInstanceOf(StopEvent.class);
    assertThat(second.poll(5, TimeUnit.SECONDS)).isInstanceOf(ResumeEvent.class);
    assertThat(resumed.await(Duration.ofSeconds(5))).isInstanceOf(ResumeEvent.class);
    assertThat(thrown.get()).isEqualTo(2); // and it still gets the events after its failures
    assertThat(qmp.isOpen()).isTrue();
  }

  @Test
  void aStalledListenerDelaysNoEventWait() throws Exception {
    QmpClient qmp = connect();
    CountDownLatch entered = new CountDownLatch(1);
    qmp.subscribe(stalled(entered));
    server.sendEvent("SOMETHING", null);
    assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();

    EventWait<MigrationEvent> completed =
        qmp.expectEvent(MigrationEvent.class, e -> e.status().equals(MigrationStatus.COMPLETED));
    server.sendEvent("MIGRATION", "{\"status\": \"completed\"}");

    assertThat(completed.await(Duration.ofSeconds(5)).status())
        .isEqualTo(MigrationStatus.COMPLETED);
  }

  @Test
  void aWaitGetsTheFirstMatchingEventAfterItEvenWhileStalledListenersOverflow() throws Exception {
    QmpClient qmp = connect();
    CountDownLatch entered = new CountDownLatch(1);
    qmp.subscribe(stalled(entered));
    server.sendEvent("SOMETHING", null);
    assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
    EventWait<GenericEvent> tick =
        qmp.expectEvent(GenericEvent.class, e -> e.name().equals("TICK"));

    server.sendEvent("TICK", "{\"n\": 1}");
    // More than the listeners' queue holds, so that the events after these are dropped for them.
    server.sendBytes(noise(20_000));
    server.sendEvent("TICK", "{\"n\": 2}");

    assertThat(tick.await(Duration.ofSeconds(5)).data().path("n").asInt()).isEqualTo(1);
  }

  @Test
  void aPredicateThatThrowsFailsItsOwnWaitOnly() {
    QmpClient qmp = connect();
    EventWait<StopEvent> broken =
        qmp.expectEvent(
            StopEvent.class,
            e -> {
              throw new IllegalStateException("a predicate's bug");
            });
    EventWait<StopEvent> fine = qmp.expectEvent(StopEvent.class, e -> true);

    server.sendEvent("STOP", null);

    assertThat(fine.await(Duration.ofSeconds(5))).isInstanceOf(StopEvent.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> broken.await(Duration.ofSeconds(5)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("a predicate's bug");
    assertThat(qmp.isOpen()).isTrue();
  }

  @Test
  void anEventQueueGetsEveryEventOfItsTypeInOrderThroughAFloodWhileListenersStall()
      throws Exception {
    QmpClient qmp = connect();
    CountDownLatch entered = new CountDownLatch(1);
    qmp.subscribe(stalled(entered));
    server.sendEvent("SOMETHING", null);
    assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();

    try (EventQueue<MigrationEvent> migration = qmp.openEventQueue(MigrationEvent.class)) {
      for (String status : List.of("setup", "active", "device", "completed")) {
        server.sendBytes(noise(5_000));
        server.sendEvent("MIGRATION", "{\"status\": \"" + status + "\"}");
      }

      List<String> seen = new ArrayList<>();
      MigrationEvent e;
      do {
        e = migration.take(Duration.ofSeconds(10));
        seen.add(e.status().wireName());
      } while (!e.status().isFinished());
      assertThat(seen).containsExactly("setup", "active", "device", "completed");
      assertThat(migration.poll()).isNull();
    }
  }

  @Test
  void anEventQueueSeesNothingFromBeforeItWasOpened() throws Exception {
    QmpClient qmp = connect();
    CountDownLatch seen = new CountDownLatch(1);
    qmp.subscribe(e -> seen.countDown());
    server.sendEvent("STOP", null);
    assertThat(seen.await(5, TimeUnit.SECONDS)).isTrue();

    try (EventQueue<StopEvent> stops = qmp.openEventQueue(StopEvent.class)) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> stops.take(Duration.ofMillis(200)))
          .isInstanceOf(QmpTimeoutException.class)
          .hasMessageContaining("no StopEvent");
      server.sendEvent("STOP", null);
      assertThat(stops.take(Duration.ofSeconds(5))).isInstanceOf(StopEvent.class);
    }
  }

  @Test
  void anEventQueuePastItsCapacitySaysSoAfterTheEventsItHolds() {
    QmpClient qmp = connect();
    EventQueue<GenericEvent> all = qmp.openEventQueue(GenericEvent.class);
    int sent = EventQueue.CAPACITY + 10;
    server.sendBytes(noise(sent));
    server.sendEvent("LAST", null);
    // The LAST event is read after all the others: once a wait sees it, the queue has them all.
    qmp.awaitEvent(e -> e.name().equals("LAST"), Duration.ofSeconds(10));

    for (int i = 0; i < EventQueue.CAPACITY; i++) {
      assertThat(all.take(Duration.ofSeconds(1)).data().path("i").asInt()).isEqualTo(i);
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> all.take(Duration.ofSeconds(1)))
        .isInstanceOf(QmpEventsLostException.class)
        .hasMessageContaining("held " + EventQueue.CAPACITY + " events");
    org.assertj.core.api.Assertions.assertThatThrownBy(all::poll)
        .isInstanceOf(QmpEventsLostException.class);
    all.close();
    org.assertj.core.api.Assertions.assertThatThrownBy(all::poll)
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void anEventQueueEndsWithTheConnectionAfterTheEventsThatCameBefore() {
    QmpClient qmp = connect();
    EventQueue<MigrationEvent> migration = qmp.openEventQueue(MigrationEvent.class);

    server.sendEvent("MIGRATION", "{\"status\": \"completed\"}");
    server.disconnect();

    assertThat(migration.take(Duration.ofSeconds(5)).status()).isEqualTo(MigrationStatus.COMPLETED);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> migration.take(Duration.ofSeconds(5)))
        .isInstanceOf(QmpConnectionClosedException.class)
        .hasMessageContaining("waiting for MigrationEvent failed");
    EventQueue<StopEvent> late = qmp.openEventQueue(StopEvent.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(late::poll)
        .isInstanceOf(QmpConnectionClosedException.class);
  }

  /** {@code count} events named NOISE, as one write. */
  static byte[] noise(int count) {
    StringBuilder text = new StringBuilder(count * 90);
    for (int i = 0; i < count; i++) {
      text.append("{\"event\": \"NOISE\", \"data\": {\"i\": ")
          .append(i)
          .append("}, \"timestamp\": {\"seconds\": 1795735760, \"microseconds\": 0}}\n");
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }
}

package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.event.GenericEvent;
import io.github.qemucpr.qmp.event.MigrationEvent;
import io.github.qemucpr.qmp.event.QmpEvent;
import io.github.qemucpr.qmp.event.ShutdownEvent;
import io.github.qemucpr.qmp.event.StopEvent;
import io.github.qemucpr.testing.FakeQmpServer;
import io.github.qemucpr.testing.FakeQmpServer.Request;
import io.github.qemucpr.testing.Responders;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

class QmpClientTest {

  private final FakeQmpServer server = FakeQmpServer.start();
  private final List<QmpClient> clients = new ArrayList<>();

  @AfterEach
  void tearDown() {
    clients.forEach(QmpClient::close);
    server.close();
    ThreadLeaks.assertNoClientThreads();
  }

  private QmpClient connect() {
    return track(QmpClient.connect(server.socketPath()));
  }

  private QmpClient track(QmpClient client) {
    clients.add(client);
    return client;
  }

  private QmpClient.Builder builder() {
    return QmpClient.builder().unixSocket(server.socketPath());
  }

  @Test
  void parsesTheGreetingAndEnablesOobWhenOffered() {
    QmpClient qmp = connect();

    assertThat(qmp.greeting())
        .isEqualTo(new QmpGreeting(new QemuVersion(10, 0, 2), "fake", List.of("oob")));
    Request negotiation = server.takeRequest();
    assertThat(negotiation.command()).isEqualTo("qmp_capabilities");
    assertThat(negotiation.arguments().toString()).isEqualTo("{\"enable\":[\"oob\"]}");
    assertThat(qmp.isOpen()).isTrue();
  }

  @Test
  void printsItsPeerVersionAndState() {
    QmpClient qmp = connect();
    assertThat(qmp).hasToString("QmpClient[" + server.socketPath() + ", QEMU 10.0.2, open]");
    qmp.close();
    assertThat(qmp.toString()).endsWith(", closed]");
  }

  @Test
  void leavesOobOffWhenTheBuilderSaysSo() {
    track(builder().enableOob(false).connect());

    assertThat(server.takeRequest().arguments().isEmpty()).isTrue();
  }

  @Test
  void aServerThatNeverGreetsTimesOutWithAHint() {
    server.greeting(null);

    assertThatThrownBy(() -> builder().connectTimeout(Duration.ofMillis(300)).connect())
        .isInstanceOfSatisfying(
            QmpTimeoutException.class,
            e -> assertThat(e.timeout()).isEqualTo(Duration.ofMillis(300)))
        .hasMessageContaining("no QMP greeting")
        .hasMessageContaining("another client may hold the socket");
  }

  @Test
  void aGreetingThatIsNotQmpIsAProtocolError() {
    server.greeting("{\"hello\": \"world\"}");

    assertThatThrownBy(() -> builder().connectTimeout(Duration.ofSeconds(2)).connect())
        .isInstanceOf(QmpProtocolException.class)
        .hasMessageContaining("is not a QMP monitor");
  }

  @Test
  void aMissingSocketIsAConnectError() {
    assertThatThrownBy(() -> QmpClient.connect(Path.of("/nonexistent/qmp.sock")))
        .isInstanceOf(QmpConnectException.class)
        .hasMessageContaining("/nonexistent/qmp.sock")
        .hasMessageContaining("-qmp unix:PATH,server=on,wait=off");
  }

  @Test
  void matchesRepliesToCallersByIdEvenOutOfOrder() throws Exception {
    server.on("slow", Responders.delayed(Duration.ofMillis(200), Responders.returns("\"slow\"")));
    server.on("fast", Responders.returns("\"fast\""));
    QmpClient qmp = connect();

    CompletableFuture<JsonNode> slow = qmp.executeAsync("slow", null, Duration.ofSeconds(5));
    CompletableFuture<JsonNode> fast = qmp.executeAsync("fast", null, Duration.ofSeconds(5));

    assertThat(fast.get(5, TimeUnit.SECONDS).stringValue()).isEqualTo("fast");
    assertThat(slow.isDone()).isFalse();
    assertThat(slow.get(5, TimeUnit.SECONDS).stringValue()).isEqualTo("slow");
  }

  @Test
  void everyCommandCarriesAUniqueId() {
    server.on("query-status", Responders.returns("{}"));
    QmpClient qmp = connect();
    for (int i = 0; i < 20; i++) {
      qmp.execute("query-status", null);
    }

    assertThat(server.requests().stream().map(r -> r.id().toString()).distinct().count())
        .isEqualTo(21);
  }

  @Test
  void anErrorReplyBecomesACommandExceptionWithClassDescAndCommand() {
    server.on("migrate", Responders.error("GenericError", "Cannot use postcopy with CPR"));
    QmpClient qmp = connect();

    assertThatThrownBy(() -> qmp.execute("migrate", null))
        .isInstanceOfSatisfying(
            QmpCommandException.class,
            e -> {
              assertThat(e.command()).isEqualTo("migrate");
              assertThat(e.errorClass()).isEqualTo(QmpErrorClass.GENERIC_ERROR);
              assertThat(e.errorClassName()).isEqualTo("GenericError");
              assertThat(e.description()).isEqualTo("Cannot use postcopy with CPR");
            })
        .hasMessageContaining("migrate failed: Cannot use postcopy with CPR");
  }

  @Test
  void unknownCommandsAndUnknownErrorClassesAreMappedAndKept() {
    server.on("odd", Responders.error("BrandNewClass", "something new"));
    QmpClient qmp = connect();

    assertThatThrownBy(() -> qmp.execute("no-such-command", null))
        .isInstanceOf(QmpCommandNotFoundException.class)
        .extracting(e -> ((QmpCommandException) e).errorClass())
        .isEqualTo(QmpErrorClass.COMMAND_NOT_FOUND);
    assertThatThrownBy(() -> qmp.execute("odd", null))
        .isInstanceOfSatisfying(
            QmpCommandException.class,
            e -> {
              assertThat(e.errorClass()).isEqualTo(QmpErrorClass.UNKNOWN);
              assertThat(e.errorClassName()).isEqualTo("BrandNewClass");
            });
  }

  @Test
  void aTimedOutCommandSaysItMayStillTakeEffectAndItsLateReplyIsDropped() {
    server.enqueue(
        "quit", Responders.delayed(Duration.ofMillis(400), Responders.returns("\"late\"")));
    server.on("quit", Responders.returns("\"second\""));
    QmpClient qmp = connect();

    assertThatThrownBy(() -> qmp.executeAsync("quit", null, Duration.ofMillis(100)).join())
        .hasCauseInstanceOf(QmpTimeoutException.class)
        .hasMessageContaining("may still carry it out");
    sleep(500); // the late reply for the first call arrives now, and must go nowhere
    assertThat(qmp.execute("quit", null).stringValue()).isEqualTo("second");
  }

  @Test
  void blockingCallsThrowTheCauseItself() {
    server.on("hang", Responders.silent());
    QmpClient qmp = builder().commandTimeout(Duration.ofMillis(100)).connect();
    track(qmp);

    assertThatThrownBy(() -> qmp.execute("hang", null))
        .isInstanceOf(QmpTimeoutException.class)
        .hasMessageContaining("hang got no reply");
  }

  @Test
  void deliversTypedAndGenericEventsInterleavedWithReplies() throws Exception {
    BlockingQueue<QmpEvent> events = new LinkedBlockingQueue<>();
    server.on("stop", Responders.eventsThenReturns("{}", "STOP", "SOMETHING_NEW"));
    QmpClient qmp = connect();
    qmp.subscribe(events::add);

    qmp.execute("stop", null);

    assertThat(events.poll(5, TimeUnit.SECONDS)).isInstanceOf(StopEvent.class);
    QmpEvent other = events.poll(5, TimeUnit.SECONDS);
    assertThat(other).isInstanceOf(GenericEvent.class);
    assertThat(other.name()).isEqualTo("SOMETHING_NEW");
  }

  @Test
  void typedEventsCarryTheirDataAndUnknownValuesAreKept() throws Exception {
    BlockingQueue<QmpEvent> events = new LinkedBlockingQueue<>();
    QmpClient qmp = connect();
    qmp.subscribe(events::add);

    server.sendEvent("MIGRATION", "{\"status\": \"teleporting\"}");
    server.sendEvent("SHUTDOWN", "{\"guest\": false, \"reason\": \"host-qmp-quit\"}");

    MigrationEvent migration = (MigrationEvent) events.poll(5, TimeUnit.SECONDS);
    assertThat(migration.status().wireName()).isEqualTo("teleporting");
    assertThat(migration.status().isActive()).isTrue();
    assertThat(events.poll(5, TimeUnit.SECONDS))
        .isInstanceOfSatisfying(
            ShutdownEvent.class, s -> assertThat(s.reason()).isEqualTo("host-qmp-quit"));
  }

  @Test
  void anEventWaitRegisteredBeforeTheCommandCannotMissItsEvent() {
    // The event arrives before the reply: a wait started after the reply would miss it.
    server.on(
        "migrate",
        (request, exchange) -> {
          exchange.event("MIGRATION", "{\"status\": \"completed\"}");
          exchange.returns("{}");
        });
    QmpClient qmp = connect();

    try (EventWait<MigrationEvent> done =
        qmp.expectEvent(MigrationEvent.class, e -> e.status().isFinished())) {
      qmp.execute("migrate", null);
      assertThat(done.await(Duration.ofSeconds(5)).status()).isEqualTo(MigrationStatus.COMPLETED);
    }
  }

  @Test
  void anEventWaitNeverMatchesAStaleEvent() throws Exception {
    CountDownLatch seen = new CountDownLatch(1);
    QmpClient qmp = connect();
    qmp.subscribe(e -> seen.countDown());
    // As a QEMU that has just finished an incoming migration.
    server.sendEvent("MIGRATION", "{\"status\": \"completed\"}");
    assertThat(seen.await(5, TimeUnit.SECONDS)).isTrue();

    EventWait<MigrationEvent> wait =
        qmp.expectEvent(MigrationEvent.class, e -> e.status().equals(MigrationStatus.COMPLETED));

    assertThatThrownBy(() -> wait.await(Duration.ofMillis(200)))
        .isInstanceOf(QmpTimeoutException.class);
    server.sendEvent("MIGRATION", "{\"status\": \"completed\"}");
    assertThat(wait.await(Duration.ofSeconds(5)).status()).isEqualTo(MigrationStatus.COMPLETED);
  }

  @Test
  void aListenerMayCallBackIntoTheClientAndASlowOneDoesNotBlockReplies() throws Exception {
    server.on("query-status", Responders.returns("{\"status\": \"paused\"}"));
    CompletableFuture<JsonNode> fromListener = new CompletableFuture<>();
    CountDownLatch release = new CountDownLatch(1);
    QmpClient qmp = connect();
    qmp.subscribe(
        e -> {
          if (e instanceof StopEvent) {
            fromListener.complete(qmp.execute("query-status", null));
          } else {
            await(release); // a slow listener
          }
        });

    server.sendEvent("STOP", null);
    assertThat(fromListener.get(5, TimeUnit.SECONDS).path("status").stringValue())
        .isEqualTo("paused");
    server.sendEvent("SLOW", null);
    assertThat(qmp.execute("query-status", null)).isNotNull(); // while the listener is stuck
    release.countDown();
  }

  @Test
  void eventsDuringNegotiationReachABuilderListener() throws Exception {
    BlockingQueue<QmpEvent> events = new LinkedBlockingQueue<>();
    server.on(
        "qmp_capabilities",
        (request, exchange) -> {
          exchange.event("RESUME", null);
          exchange.returns("{}");
        });

    track(builder().eventListener(events::add).connect());

    assertThat(events.poll(5, TimeUnit.SECONDS).name()).isEqualTo("RESUME");
  }

  @Test
  void malformedJsonClosesTheConnectionAndFailsPendingCallsWithTheReason() {
    server.on("query-status", (request, exchange) -> exchange.raw("{this is not json\n"));
    QmpClient qmp = connect();

    assertThatThrownBy(() -> qmp.execute("query-status", null))
        .isInstanceOf(QmpConnectionClosedException.class)
        .hasRootCauseInstanceOf(tools.jackson.core.JacksonException.class)
        .hasMessageContaining("malformed JSON");
    assertThat(qmp.isOpen()).isFalse();
    assertThat(qmp.closeFuture().join()).isInstanceOf(QmpConnectionClosedException.class);
  }

  @Test
  void anOversizedMessageIsRefusedBeforeItExhaustsMemory() {
    server.on("big", (request, exchange) -> exchange.raw("\"" + "x".repeat(8192)));
    QmpClient qmp = track(builder().maxMessageBytes(4096).connect());

    assertThatThrownBy(() -> qmp.execute("big", null))
        .isInstanceOf(QmpConnectionClosedException.class)
        .hasMessageContaining("larger than 4096 bytes");
  }

  @Test
  void repliesToIdsNobodySentAndNonObjectsAreDropped() {
    server.on(
        "query-status",
        (request, exchange) -> {
          exchange.raw("{\"return\": {}, \"id\": 987654}\n");
          exchange.raw("[1, 2, 3]\n");
          exchange.raw("{\"unexpected\": true}\n");
          exchange.returns("{\"status\": \"running\"}");
        });
    QmpClient qmp = connect();

    assertThat(qmp.execute("query-status", null).path("status").stringValue()).isEqualTo("running");
    assertThat(qmp.isOpen()).isTrue();
  }

  @Test
  void aDisconnectFailsEveryPendingCallAtOnce() throws Exception {
    server.on("hang", Responders.silent());
    QmpClient qmp = connect();
    List<CompletableFuture<JsonNode>> calls = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      calls.add(qmp.executeAsync("hang", null, Duration.ofMinutes(5)));
    }
    for (int i = 0; i < 11; i++) {
      server.takeRequest(); // all ten reached the server
    }

    server.disconnect();

    for (CompletableFuture<JsonNode> call : calls) {
      assertThatThrownBy(() -> call.get(1, TimeUnit.SECONDS))
          .hasCauseInstanceOf(QmpConnectionClosedException.class);
    }
    assertThatThrownBy(() -> qmp.execute("hang", null))
        .isInstanceOf(QmpConnectionClosedException.class)
        .hasMessageContaining("closed the QMP connection");
  }

  @Test
  void closeIsIdempotentFailsPendingCallsAndEndsThreads() {
    server.on("hang", Responders.silent());
    QmpClient qmp = connect();
    CompletableFuture<JsonNode> pending = qmp.executeAsync("hang", null, Duration.ofMinutes(5));
    EventWait<QmpEvent> wait = qmp.expectEvent(QmpEvent.class, e -> true);

    qmp.close();
    qmp.close();

    assertThatThrownBy(pending::join).hasCauseInstanceOf(QmpConnectionClosedException.class);
    assertThatThrownBy(() -> wait.await(Duration.ofSeconds(1)))
        .isInstanceOf(QmpConnectionClosedException.class);
    assertThat(qmp.closeFuture().join()).isNull();
    ThreadLeaks.assertNoClientThreads();
  }

  @Test
  void callsRacingCloseFailWithAClosedConnectionAndNeverThrow() throws Exception {
    // A call submitted while close() stops the timer once threw RejectedExecutionException.
    server.on("hang", Responders.silent());
    for (int round = 0; round < 40; round++) {
      QmpClient qmp = connect();
      List<CompletableFuture<JsonNode>> calls = new ArrayList<>();
      CompletableFuture<Throwable> thrown = new CompletableFuture<>();
      CountDownLatch started = new CountDownLatch(1);
      Thread caller =
          new Thread(
              () -> {
                try {
                  while (qmp.isOpen() || calls.size() < 100) {
                    calls.add(qmp.executeAsync("hang", null, Duration.ofMinutes(5)));
                    started.countDown();
                  }
                  thrown.complete(null);
                } catch (Throwable t) {
                  thrown.complete(t);
                }
              });
      caller.start();
      started.await(5, TimeUnit.SECONDS);
      qmp.close();
      caller.join(TimeUnit.SECONDS.toMillis(10));

      assertThat(thrown.get(1, TimeUnit.SECONDS)).as("what executeAsync threw").isNull();
      for (CompletableFuture<JsonNode> call : calls) {
        assertThatThrownBy(() -> call.get(5, TimeUnit.SECONDS))
            .hasCauseInstanceOf(QmpConnectionClosedException.class);
      }
    }
  }

  @Test
  void anInterruptedCallerGetsAnInterruptedExceptionWithItsFlagSet() throws Exception {
    server.on("hang", Responders.silent());
    QmpClient qmp = connect();
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    Thread caller =
        new Thread(
            () -> {
              try {
                qmp.execute("hang", null);
              } catch (Throwable t) {
                outcome.complete(t);
                if (!Thread.currentThread().isInterrupted()) {
                  outcome.obtrudeValue(new AssertionError("interrupt flag not restored"));
                }
              }
            });
    caller.start();
    server.takeRequest();
    server.takeRequest();
    caller.interrupt();

    assertThat(outcome.get(5, TimeUnit.SECONDS)).isInstanceOf(QmpInterruptedException.class);
  }

  @Test
  void theEscapeHatchTakesOnlyJsonObjects() {
    QmpClient qmp = connect();

    assertThatThrownBy(() -> qmp.execute("x", JsonNodeFactory.instance.arrayNode()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must be a JSON object");
  }

  @Test
  void theBuilderChecksEachOptionAsItIsSet() {
    QmpClient.Builder b = QmpClient.builder();
    assertThatThrownBy(() -> b.connectTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("connectTimeout");
    b.commandTimeout(Duration.ofSeconds(1));
    assertThatThrownBy(() -> b.commandTimeout(Duration.ofSeconds(2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already set");
    assertThatThrownBy(() -> b.tcp("localhost", 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(b::connect)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("unixSocket(path) or tcp(host, port)");
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void anUntypedCallWithItsOwnTimeoutEndsAtThatTimeoutNotTheDefault() {
    server.on("x-stuck", Responders.silent());
    server.on("query-kvm", Responders.returns("{\"enabled\": false, \"present\": true}"));
    QmpClient qmp = track(builder().commandTimeout(Duration.ofSeconds(60)).connect());

    assertThatThrownBy(() -> qmp.execute("x-stuck", null, Duration.ofMillis(200)))
        .isInstanceOfSatisfying(
            QmpTimeoutException.class,
            e -> assertThat(e.timeout()).isEqualTo(Duration.ofMillis(200)));
    assertThat(qmp.execute("query-kvm", null, Duration.ofSeconds(5)).path("present").asBoolean())
        .isTrue();
  }
}

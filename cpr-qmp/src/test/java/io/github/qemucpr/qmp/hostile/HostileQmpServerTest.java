package io.github.qemucpr.qmp.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.EventWait;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.QmpProtocolException;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.QueryMemdev;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.event.MigrationEvent;
import io.github.qemucpr.qmp.fuzz.LinePeer;
import io.github.qemucpr.qmp.internal.wire.FrameTooLargeException;
import io.github.qemucpr.testing.FakeQmpServer;
import io.github.qemucpr.testing.Responders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The QMP client against a QEMU that misbehaves on purpose: it never greets, sends replies that
 * never end, floods events, answers ids nobody sent or with the wrong shape, or stops reading. In
 * every case each call ends within its bound with a {@code QmpException}, memory stays bounded, and
 * the client stays usable where the stream still can be.
 */
@Timeout(60)
class HostileQmpServerTest {

  private final FakeQmpServer server = FakeQmpServer.start();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    server.close();
    HostileThreads.assertNoneLeft("qmp-hostile-");
  }

  private QmpClient.Builder builder() {
    return QmpClient.builder().unixSocket(server.socketPath()).name("hostile");
  }

  private QmpClient connect(QmpClient.Builder builder) {
    QmpClient qmp = builder.connect();
    closeables.add(qmp);
    return qmp;
  }

  private LinePeer peer(LinePeer.Handler handler) {
    LinePeer peer = LinePeer.start(handler);
    closeables.add(0, peer); // closed after the clients
    return peer;
  }

  // ------------------------------------------------------------------ the greeting

  @Test
  void aGreetingThatNeverComesFailsWithinTheConnectTimeout() {
    server.greeting(null);

    assertThatThrownBy(() -> connect(builder().connectTimeout(Duration.ofMillis(300))))
        .isInstanceOfSatisfying(
            QmpTimeoutException.class,
            e -> assertThat(e.timeout()).isEqualTo(Duration.ofMillis(300)))
        .hasMessageContaining("no QMP greeting")
        .hasMessageContaining("within 300 ms")
        .hasMessageContaining("another client may hold the socket");
  }

  @Test
  void aGreetingThatStopsHalfwayFailsWithinTheConnectTimeout() {
    byte[] half = FakeQmpServer.QEMU_10_GREETING.substring(0, 40).getBytes(StandardCharsets.UTF_8);
    LinePeer peer = peer(handler(out -> out.write(half), (line, out) -> {}));

    assertThatThrownBy(
            () ->
                connect(
                    QmpClient.builder()
                        .unixSocket(peer.socketPath())
                        .name("hostile")
                        .connectTimeout(Duration.ofMillis(300))))
        .isInstanceOfSatisfying(
            QmpTimeoutException.class,
            e -> assertThat(e.timeout()).isEqualTo(Duration.ofMillis(300)))
        .hasMessageContaining("no QMP greeting");
  }

  @Test
  void aGreetingTrickledByteByByteCannotStretchTheConnectTimeout() {
    byte[] greeting = (FakeQmpServer.QEMU_10_GREETING + "\n").getBytes(StandardCharsets.UTF_8);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger trickled = new AtomicInteger();
    LinePeer peer =
        peer(
            handler(
                out -> {
                  Thread t =
                      new Thread(
                          () -> {
                            for (byte b : greeting) {
                              if (stop.get()) {
                                return;
                              }
                              out.write(new byte[] {b});
                              trickled.incrementAndGet();
                              sleep(50); // about 6.5 s for the whole greeting
                            }
                          },
                          "trickle");
                  t.setDaemon(true);
                  t.start();
                },
                (line, out) -> {}));
    closeables.add(() -> stop.set(true));

    assertThatThrownBy(
            () ->
                connect(
                    QmpClient.builder()
                        .unixSocket(peer.socketPath())
                        .name("hostile")
                        .connectTimeout(Duration.ofMillis(400))))
        .isInstanceOfSatisfying(
            QmpTimeoutException.class,
            e -> assertThat(e.timeout()).isEqualTo(Duration.ofMillis(400)))
        .hasMessageContaining("no QMP greeting");
    // A timeout that each byte restarted would have waited for the whole greeting, and failed (if
    // at all) in the negotiation after it.
    assertThat(trickled.get()).as("greeting bytes sent").isLessThan(greeting.length);
  }

  // ------------------------------------------------------------------ replies that never end

  @Test
  void aReplyThatNeverEndsBelowTheLimitTimesOutAndLeavesTheClientOpen() {
    server.on("hang", (request, exchange) -> exchange.raw("{\"return\": \"" + "x".repeat(30_000)));
    QmpClient qmp = connect(builder().maxMessageBytes(64 * 1024));

    assertThatThrownBy(
            () -> qmp.executeAsync("hang", null, Duration.ofMillis(300)).get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            QmpTimeoutException.class,
            e -> assertThat(e.timeout()).isEqualTo(Duration.ofMillis(300)))
        .hasMessageContaining("hang got no reply");
    assertThat(qmp.isOpen()).isTrue();
  }

  @Test
  void aReplyOfExactlyTheLimitIsAccepted() {
    int limit = 64 * 1024;
    server.on("big", (request, exchange) -> exchange.raw(replyOfLength(limit, request.id())));
    QmpClient qmp = connect(builder().maxMessageBytes(limit));

    JsonNode value = qmp.execute("big", null);

    // qmp_capabilities was request 1, so this reply carries id 2.
    int overhead = "{\"return\": \"".length() + "\", \"id\": 2}".length();
    assertThat(value.stringValue()).hasSize(limit - overhead);
    assertThat(qmp.isOpen()).isTrue();
  }

  @Test
  void aReplyOneBytePastTheLimitClosesTheConnectionWithTheLimitError() {
    int limit = 64 * 1024;
    server.on("big", (request, exchange) -> exchange.raw(replyOfLength(limit + 1, request.id())));
    QmpClient qmp = connect(builder().maxMessageBytes(limit));

    assertThatThrownBy(() -> qmp.execute("big", null))
        .isInstanceOf(QmpConnectionClosedException.class)
        .hasMessageContaining("larger than " + limit + " bytes")
        .hasCauseInstanceOf(QmpProtocolException.class)
        .hasRootCauseInstanceOf(FrameTooLargeException.class);
    assertThat(qmp.isOpen()).isFalse();
    // At once, not at the command timeout: a call that waited for a reply would end in a
    // QmpTimeoutException, and with this timeout only after the test's @Timeout.
    assertThatThrownBy(() -> qmp.execute(new QueryStatus(), Duration.ofMinutes(5)))
        .isInstanceOf(QmpConnectionClosedException.class);
  }

  @Test
  void anEndlessReplyIsCutAtTheLimitAfterReadingLittleMore() {
    int limit = 1024 * 1024;
    AtomicLong written = new AtomicLong();
    LinePeer peer =
        peer(
            handler(
                out ->
                    out.write(
                        (FakeQmpServer.QEMU_10_GREETING + "\n").getBytes(StandardCharsets.UTF_8)),
                (line, out) -> {
                  if (new String(line, StandardCharsets.UTF_8).contains("qmp_capabilities")) {
                    out.write("{\"return\": {}, \"id\": 1}\n".getBytes(StandardCharsets.UTF_8));
                    return;
                  }
                  byte[] chunk = new byte[64 * 1024];
                  java.util.Arrays.fill(chunk, (byte) 'x');
                  chunk[0] = '"';
                  // Up to 256 MiB, or until the client hangs up.
                  for (int i = 0; i < 4096 && out.write(chunk); i++) {
                    written.addAndGet(chunk.length);
                  }
                }));
    QmpClient qmp =
        connect(
            QmpClient.builder()
                .unixSocket(peer.socketPath())
                .name("hostile")
                .maxMessageBytes(limit));

    // Cut by the limit, not ended by the command timeout after reading all of it.
    assertThatThrownBy(() -> qmp.execute("endless", null, Duration.ofMinutes(5)))
        .isInstanceOf(QmpConnectionClosedException.class)
        .hasMessageContaining("larger than " + limit + " bytes");
    // What the peer got out before the client hung up: the limit, the reader's buffer and the
    // socket buffers, not the 256 MiB it had in store.
    sleep(200);
    assertThat(written.get()).isLessThan(limit + 16L * 1024 * 1024);
  }

  // ------------------------------------------------------------------ event floods

  @Test
  void tenThousandEventsPerSecondDoNotHoldUpCommands() throws Exception {
    server.on("query-status", Responders.returns("{\"status\": \"running\", \"running\": true}"));
    AtomicInteger received = new AtomicInteger();
    QmpClient qmp = connect(builder().eventListener(e -> received.incrementAndGet()));
    server.awaitConnection();

    // A flood that outlasts the test's @Timeout unless stopped: commands that waited behind it
    // would never be answered while it runs.
    Flood flood = Flood.start(server, 10_000, Duration.ofMinutes(5));
    closeables.add(0, flood::stop);
    for (int i = 0; i < 50; i++) {
      assertThat(qmp.execute(new QueryStatus(), Duration.ofMinutes(5)).status())
          .isEqualTo(RunState.RUNNING);
    }
    assertThat(flood.done()).as("the flood ended before the commands did").isFalse();
    int sent = flood.stop();

    assertThat(sent).isPositive();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (received.get() < sent && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(received.get()).as("events a quick listener received").isEqualTo(sent);
  }

  @Test
  void aStalledListenerUnderAFloodLosesEventsNotMemoryAndWaitsStillSeeTheirs() throws Exception {
    server.on("query-status", Responders.returns("{\"status\": \"running\", \"running\": true}"));
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger delivered = new AtomicInteger();
    List<LogRecord> warnings = new CopyOnWriteArrayList<>();
    Logger log = Logger.getLogger("io.github.qemucpr.qmp.internal.protocol.QmpConnection");
    Handler watch = collect(warnings);
    log.addHandler(watch);
    closeables.add(() -> log.removeHandler(watch));
    QmpClient qmp =
        connect(
            builder()
                .eventListener(
                    e -> {
                      delivered.incrementAndGet();
                      await(release);
                    }));
    EventWait<MigrationEvent> completed =
        qmp.expectEvent(MigrationEvent.class, e -> e.status().equals(MigrationStatus.COMPLETED));
    closeables.add(0, release::countDown);
    server.awaitConnection();

    Flood flood = Flood.start(server, 50_000, Duration.ofSeconds(1));
    assertThat(qmp.execute(new QueryStatus(), Duration.ofSeconds(5)).running()).isTrue();
    flood.await();
    server.sendEvent("MIGRATION", "{\"status\": \"completed\"}");

    assertThat(completed.await(Duration.ofSeconds(5)).status())
        .isEqualTo(MigrationStatus.COMPLETED);
    assertThat(qmp.execute(new QueryStatus(), Duration.ofSeconds(5)).running()).isTrue();
    assertThat(warnings)
        .extracting(LogRecord::getMessage)
        .anyMatch(m -> m.contains("faster than the event listeners take them"));
    release.countDown();
    sleep(500);
    // The one stuck in the listener, and at most the 10,000 queued behind it (QmpEventListener).
    assertThat(delivered.get()).isBetween(2, 10_001);
  }

  // ------------------------------------------------------------------ ids and shapes

  @Test
  void repliesToIdsNobodySentAreDroppedAndEachCallStillGetsItsOwn() {
    server.on(
        "query-status",
        (request, exchange) -> {
          long id = request.id().asLong();
          exchange.raw("{\"return\": {\"status\": \"paused\"}, \"id\": " + (id + 1000) + "}\n");
          exchange.raw("{\"return\": {\"status\": \"paused\"}, \"id\": -1}\n");
          exchange.raw("{\"return\": {\"status\": \"paused\"}, \"id\": \"" + id + "\"}\n");
          exchange.raw("{\"return\": {\"status\": \"paused\"}, \"id\": " + id + ".5}\n");
          exchange.raw("{\"return\": {\"status\": \"paused\"}, \"id\": 18446744073709551616}\n");
          exchange.raw("{\"return\": {\"status\": \"paused\"}, \"id\": 1e999}\n");
          exchange.raw("{\"return\": {\"status\": \"paused\"}, \"id\": null}\n");
          exchange.raw(
              "{\"return\": {\"status\": \"paused\"}, \"id\": {\"nested\": " + id + "}}\n");
          exchange.raw("{\"return\": {\"status\": \"paused\"}}\n");
          exchange.raw("{\"error\": {\"class\": \"GenericError\", \"desc\": \"x\"}, \"id\": 0}\n");
          exchange.returns("{\"status\": \"running\", \"running\": true}");
          exchange.returns("{\"status\": \"paused\", \"running\": false}"); // a duplicate
        });
    QmpClient qmp = connect(builder());

    for (int i = 0; i < 20; i++) {
      assertThat(qmp.execute(new QueryStatus()).status()).isEqualTo(RunState.RUNNING);
    }
    assertThat(qmp.isOpen()).isTrue();
  }

  @Test
  void aReturnOfTheWrongShapeFailsThatCallAloneAndTheConnectionStaysUsable() {
    List<String> wrong =
        List.of(
            "\"running\"",
            "[]",
            "42",
            "null",
            "{\"status\": 5}",
            "{\"status\": {\"a\": 1}}",
            "{\"running\": true}",
            "{\"status\": [\"running\"]}");
    for (String shape : wrong) {
      server.enqueue("query-status", Responders.returns(shape));
    }
    server.on("query-status", Responders.returns("{\"status\": \"running\", \"running\": true}"));
    for (String shape : List.of("{}", "[null]", "[1]", "\"x\"", "[{\"size\": \"big\"}]")) {
      server.enqueue("query-memdev", Responders.returns(shape));
    }
    QmpClient qmp = connect(builder());

    for (String shape : wrong) {
      assertThatThrownBy(() -> qmp.execute(new QueryStatus()), shape)
          .isInstanceOf(QmpProtocolException.class)
          .hasMessageContaining("query-status")
          .hasMessageContaining("expected shape");
      assertThat(qmp.isOpen()).isTrue();
    }
    for (int i = 0; i < 5; i++) {
      assertThatThrownBy(() -> qmp.execute(new QueryMemdev()))
          .isInstanceOf(QmpProtocolException.class)
          .hasMessageContaining("query-memdev");
    }
    assertThat(qmp.execute(new QueryStatus()).status()).isEqualTo(RunState.RUNNING);
  }

  // ------------------------------------------------------------------ a monitor that stops reading

  @Test
  void aMonitorThatStopsReadingFailsEveryCallWithinItsTimeout() throws Exception {
    CountDownLatch thaw = new CountDownLatch(1);
    closeables.add(0, thaw::countDown);
    server.on("freeze", (request, exchange) -> await(thaw)); // the server stops reading
    QmpClient qmp = connect(builder());
    qmp.executeAsync("freeze", null, Duration.ofSeconds(30));
    var big = JsonNodeFactory.instance.objectNode().put("command-line", "x".repeat(100_000));

    List<CompletableFuture<JsonNode>> calls = new ArrayList<>();
    for (int i = 0; i < 40; i++) { // 4 MB: more than the socket buffers hold
      calls.add(qmp.executeAsync("human-monitor-command", big, Duration.ofMillis(300)));
    }
    // Each call ends by its own 300 ms timeout: the request not sent (or not answered) in time,
    // or the connection the client closed for it.
    for (CompletableFuture<JsonNode> call : calls) {
      assertThatThrownBy(() -> call.get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .satisfiesAnyOf(
              c ->
                  assertThat(c)
                      .isInstanceOfSatisfying(
                          QmpTimeoutException.class,
                          e -> assertThat(e.timeout()).isEqualTo(Duration.ofMillis(300))),
              c ->
                  assertThat(c)
                      .isInstanceOf(QmpConnectionClosedException.class)
                      .hasMessageContaining("did not read a request for 300 ms"));
    }
    // A request stuck half-written would corrupt the stream: the client closed it, and says why.
    assertThat(qmp.isOpen()).isFalse();
    assertThat(qmp.closeFuture().get(1, TimeUnit.SECONDS))
        .hasMessageContaining("did not read a request");
    assertThatThrownBy(() -> qmp.execute(new QueryStatus()))
        .isInstanceOf(QmpConnectionClosedException.class);
  }

  @Test
  void aMonitorThatPausesTimesCallsOutAndIsUsableOnceItReadsAgain() throws Exception {
    CountDownLatch thaw = new CountDownLatch(1);
    closeables.add(0, thaw::countDown);
    server.on("freeze", (request, exchange) -> await(thaw));
    server.on("query-status", Responders.returns("{\"status\": \"running\", \"running\": true}"));
    QmpClient qmp = connect(builder());
    qmp.executeAsync("freeze", null, Duration.ofSeconds(30));

    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> qmp.execute(new QueryStatus(), Duration.ofMillis(200)))
          .isInstanceOfSatisfying(
              QmpTimeoutException.class,
              e -> assertThat(e.timeout()).isEqualTo(Duration.ofMillis(200)))
          .hasMessageContaining("got no reply");
    }
    thaw.countDown(); // the late replies arrive and are dropped

    assertThat(qmp.execute(new QueryStatus(), Duration.ofSeconds(5)).status())
        .isEqualTo(RunState.RUNNING);
    assertThat(qmp.isOpen()).isTrue();
  }

  // ------------------------------------------------------------------ helpers

  /** {@code {"return": "xxx", "id": ID}} padded to exactly {@code length} bytes, and a newline. */
  private static String replyOfLength(int length, JsonNode id) {
    String head = "{\"return\": \"";
    String tail = "\", \"id\": " + id + "}";
    int fill = Math.max(0, length - head.length() - tail.length());
    return head + "x".repeat(fill) + tail + "\n";
  }

  private static LinePeer.Handler handler(
      java.util.function.Consumer<LinePeer.Out> connected,
      java.util.function.BiConsumer<byte[], LinePeer.Out> request) {
    return new LinePeer.Handler() {
      @Override
      public void connected(LinePeer.Out out) {
        connected.accept(out);
      }

      @Override
      public void request(byte[] line, LinePeer.Out out) {
        request.accept(line, out);
      }
    };
  }

  private static Handler collect(List<LogRecord> records) {
    return new Handler() {
      @Override
      public void publish(LogRecord r) {
        records.add(r);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
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
}

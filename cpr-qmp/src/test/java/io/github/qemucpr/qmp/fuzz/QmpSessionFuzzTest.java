package io.github.qemucpr.qmp.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.qemucpr.qmp.EventWait;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpCommandException;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.QmpProtocolException;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.QueryVersion;
import io.github.qemucpr.qmp.event.QmpEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.core.JacksonException;

/**
 * Fuzzes a whole QMP session through the real client and a real socket: the greeting, the
 * capability negotiation, reply matching by id (replies out of order, to ids nobody sent, twice),
 * and events between replies, all scripted by the input.
 *
 * <p>Input layout: parts separated by 0x00 (sent with a newline) or 0x01 (sent as they are). Part 0
 * is the greeting, sent on connect; part N answers the Nth request (qmp_capabilities is the first),
 * with {@code "@ID"} (or a bare {@code @ID}) replaced by that request's id; quoted, the script
 * stays JSON for the structural mutations. Requests beyond the script get {@code {"return": {}}}.
 *
 * <p>Allowed: a call returns, or fails with a {@link QmpProtocolException}, {@link
 * QmpTimeoutException}, {@link QmpCommandException} or {@link QmpConnectionClosedException} whose
 * causes are protocol, JSON or I/O errors; every event reaches the listener intact; no session
 * hangs, and none leaves a client thread behind.
 */
@Timeout(600)
class QmpSessionFuzzTest {

  private static final Duration TIMEOUT = Duration.ofMillis(100);

  /**
   * A hang guard, not a speed bound: a session's waits are its 100 ms timeouts, so a call not over
   * after this long never will be. A whole session that hangs fails {@link #sessionOnABudget}'s
   * hang bound, which saves the input.
   */
  private static final Duration HANG_GUARD = Duration.ofSeconds(20);

  private static final Pattern ID = Pattern.compile("\"id\":(\\d+)");
  private static @Nullable LinePeer peer;

  /** The client's log: silenced during fuzzing, and watched for events it had to drop. */
  private static final Logger CLIENT_LOG =
      Logger.getLogger("io.github.qemucpr.qmp.internal.protocol.QmpConnection");

  private static final List<LogRecord> DROPPED_EVENTS = new CopyOnWriteArrayList<>();
  private static final Handler WATCH =
      new Handler() {
        @Override
        public void publish(LogRecord r) {
          if (r.getMessage() != null && r.getMessage().startsWith("dropping an event")) {
            DROPPED_EVENTS.add(r);
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeAll
  static void watchTheClientLog() {
    CLIENT_LOG.addHandler(WATCH);
    CLIENT_LOG.setUseParentHandlers(false);
  }

  @AfterAll
  static void restoreTheClientLog() {
    CLIENT_LOG.removeHandler(WATCH);
    CLIENT_LOG.setUseParentHandlers(true);
  }

  private static synchronized LinePeer peer() {
    if (peer == null) {
      peer = LinePeer.start(new Script(List.of()));
    }
    return peer;
  }

  @AfterAll
  static synchronized void stopPeer() {
    if (peer != null) {
      peer.close();
      peer = null;
    }
  }

  @FuzzTest(maxDuration = "2m")
  void session(byte[] data) throws Exception {
    LinePeer server = peer();
    server.handler(Script.parse(data));
    DROPPED_EVENTS.clear();
    List<Throwable> listenerFailures = new CopyOnWriteArrayList<>();
    QmpClient qmp;
    try {
      qmp =
          QmpClient.builder()
              .unixSocket(server.socketPath())
              .connectTimeout(TIMEOUT)
              .commandTimeout(TIMEOUT)
              .maxMessageBytes(4096)
              .name("fuzz")
              .eventListener(event -> check(event, listenerFailures))
              .connect();
    } catch (QmpException e) {
      assertAllowed(e);
      return;
    }
    try {
      EventWait<QmpEvent> anyEvent = qmp.expectEvent(QmpEvent.class, e -> true);
      call(() -> qmp.execute(new QueryStatus()));
      call(() -> qmp.execute("query-anything", null));
      CompletableFuture<?> migrate = qmp.executeAsync(new QueryMigrate());
      CompletableFuture<?> version = qmp.executeAsync(new QueryVersion(), TIMEOUT);
      for (CompletableFuture<?> f : List.of(migrate, version)) {
        try {
          f.get(HANG_GUARD.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
          assertAllowed(e.getCause());
        }
      }
      try {
        check(anyEvent.await(Duration.ofMillis(5)), listenerFailures);
      } catch (QmpException e) {
        assertAllowed(e);
      }
    } finally {
      qmp.close();
    }
    Throwable reason = qmp.closeFuture().get(HANG_GUARD.toMillis(), TimeUnit.MILLISECONDS);
    if (reason != null) {
      assertAllowed(reason);
    }
    assertThat(listenerFailures).isEmpty();
    // An event that parses as JSON is delivered, typed or generic: a dropped MIGRATION event
    // would leave a save waiting for it until its timeout.
    assertThat(DROPPED_EVENTS)
        .extracting(r -> r.getMessage() + " " + r.getThrown())
        .as("events the client could not decode")
        .isEmpty();
  }

  @Test
  void sessionOnABudget() throws Exception {
    FuzzBudget.run(
        getClass(),
        "session",
        FuzzBudget.tries(300, 50),
        2048,
        QmpDecoderFuzzTest.tokens(),
        Duration.ofSeconds(20),
        this::session);
    assertNoClientThreads();
  }

  private static void call(Runnable call) {
    try {
      call.run();
    } catch (QmpException e) {
      assertAllowed(e);
    }
  }

  private static void check(QmpEvent event, List<Throwable> failures) {
    try {
      assertThat(event.name()).isNotNull();
      assertThat(event.timestamp()).isNotNull();
      NullContract.check(event);
    } catch (Throwable t) {
      failures.add(t);
    }
  }

  /** Fails unless {@code t} is a failure the client may report to a caller of a hostile QEMU. */
  static void assertAllowed(Throwable t) {
    if (!(t instanceof QmpProtocolException
        || t instanceof QmpTimeoutException
        || t instanceof QmpCommandException
        || t instanceof QmpConnectionClosedException)) {
      throw new AssertionError("a call failed with an exception the client must not throw", t);
    }
    // A closed connection names a protocol error, an I/O error or nothing as its cause; the
    // reader's catch-all for anything else (a decoder bug) puts that exception there directly.
    if (t instanceof QmpConnectionClosedException
        && t.getCause() != null
        && !(t.getCause() instanceof QmpException || t.getCause() instanceof IOException)) {
      throw new AssertionError("the reader thread died of an unexpected exception", t);
    }
    // Jackson wraps what a record's constructor throws: below it, anything goes.
    for (Throwable c = t.getCause();
        c != null && !(c instanceof JacksonException);
        c = c.getCause()) {
      if (!(c instanceof QmpException || c instanceof IOException)) {
        throw new AssertionError("a failure with an unexpected cause (a decoder bug?)", t);
      }
    }
  }

  static void assertNoClientThreads() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    List<String> alive;
    do {
      alive =
          Thread.getAllStackTraces().keySet().stream()
              .filter(Thread::isAlive)
              .map(Thread::getName)
              .filter(n -> n.startsWith("qmp-fuzz-"))
              .toList();
      if (alive.isEmpty()) {
        return;
      }
      Thread.sleep(20);
    } while (System.nanoTime() < deadline);
    assertThat(alive).as("client threads left behind").isEmpty();
  }

  /** The peer's side of one session, as the input scripts it. */
  private static final class Script implements LinePeer.Handler {
    private final List<byte[]> parts;
    private final AtomicInteger requests = new AtomicInteger();

    Script(List<byte[]> parts) {
      this.parts = parts;
    }

    static Script parse(byte[] data) {
      List<byte[]> parts = new ArrayList<>();
      ByteArrayOutputStream part = new ByteArrayOutputStream();
      for (byte b : data) {
        if (b == 0 || b == 1) {
          if (b == 0) {
            part.write('\n');
          }
          parts.add(part.toByteArray());
          part.reset();
        } else {
          part.write(b);
        }
      }
      if (part.size() > 0 || data.length > 0) {
        part.write('\n');
        parts.add(part.toByteArray());
      }
      return new Script(parts);
    }

    @Override
    public void connected(LinePeer.Out out) {
      requests.set(0);
      if (!parts.isEmpty()) {
        out.write(parts.get(0));
      }
    }

    @Override
    public void request(byte[] line, LinePeer.Out out) {
      String request = new String(line, StandardCharsets.UTF_8);
      Matcher m = ID.matcher(request);
      String id = m.find() ? m.group(1) : "null";
      int n = requests.incrementAndGet();
      byte[] reply =
          n < parts.size()
              ? new String(parts.get(n), StandardCharsets.ISO_8859_1)
                  .replace("\"@ID\"", id)
                  .replace("@ID", id)
                  .getBytes(StandardCharsets.ISO_8859_1)
              : ("{\"return\": {}, \"id\": " + id + "}\n").getBytes(StandardCharsets.UTF_8);
      out.write(reply);
    }
  }
}

package io.github.qemucpr.qga;

import static io.github.qemucpr.testing.FakeGuestAgent.Action.delay;
import static io.github.qemucpr.testing.FakeGuestAgent.Action.disconnect;
import static io.github.qemucpr.testing.FakeGuestAgent.Action.error;
import static io.github.qemucpr.testing.FakeGuestAgent.Action.raw;
import static io.github.qemucpr.testing.FakeGuestAgent.Action.returns;
import static io.github.qemucpr.testing.FakeGuestAgent.Action.returnsWithoutId;
import static io.github.qemucpr.testing.FakeGuestAgent.Action.silence;
import static io.github.qemucpr.testing.FakeGuestAgent.Action.syncReply;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qga.command.AgentInfo;
import io.github.qemucpr.qga.command.ExecResult;
import io.github.qemucpr.qga.command.FreezeState;
import io.github.qemucpr.qga.command.GuestExec;
import io.github.qemucpr.qga.command.OsInfo;
import io.github.qemucpr.qga.command.ShutdownMode;
import io.github.qemucpr.testing.FakeGuestAgent;
import io.github.qemucpr.testing.FakeGuestAgent.Request;
import java.io.EOFException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

@Timeout(30)
class GuestAgentClientTest {

  /**
   * A no-reply window past the class's {@code @Timeout}: a call that waited for it fails the test
   * as a hang, so one that returns did not wait for it.
   */
  private static final Duration WINDOW = Duration.ofMinutes(5);

  private FakeGuestAgent agent;
  private GuestAgentClient qga;

  @BeforeEach
  void setUp() {
    agent = FakeGuestAgent.start();
  }

  @AfterEach
  void tearDown() {
    if (qga != null) {
      qga.close();
    }
    agent.close();
  }

  private GuestAgentClient connect() {
    qga = GuestAgentClient.connect(agent.socketPath());
    return qga;
  }

  private GuestAgentClient connect(GuestAgentClient.Builder builder) {
    qga = builder.unixSocket(agent.socketPath()).connect();
    return qga;
  }

  private static byte[] bytes(Object... parts) {
    var out = new java.io.ByteArrayOutputStream();
    for (Object part : parts) {
      if (part instanceof Integer b) {
        out.write(b);
      } else {
        out.writeBytes(part.toString().getBytes(StandardCharsets.UTF_8));
      }
    }
    return out.toByteArray();
  }

  // ------------------------------------------------------------------ synchronization

  @Nested
  class Synchronization {

    @Test
    void firstCommandIsPrecededByADelimitedSync() {
      connect().ping();

      Request sync = agent.takeRequest();
      assertThat(sync.command()).isEqualTo("guest-sync-delimited");
      assertThat(sync.delimitersBefore()).as("a 0xFF byte goes before the sync").isEqualTo(1);
      assertThat(sync.arguments().path("id").isIntegralNumber()).isTrue();
      Request ping = agent.takeRequest();
      assertThat(ping.command()).isEqualTo("guest-ping");
      assertThat(ping.delimitersBefore()).isZero();
    }

    @Test
    void connectDoesNotTalkToTheAgent() throws InterruptedException {
      connect();
      Thread.sleep(200);
      assertThat(agent.commands()).isEmpty();
    }

    @Test
    void syncIdsAreRandom() {
      connect().sync();
      qga.close();
      connect().sync();
      long first = agent.takeRequest().arguments().path("id").longValue();
      long second = agent.takeRequest().arguments().path("id").longValue();
      assertThat(first).isNotEqualTo(second);
    }

    @Test
    void laterCommandsDoNotResyncWhileTheStreamIsClean() {
      connect().ping();
      qga.ping();
      qga.ping();
      assertThat(agent.commands())
          .containsExactly("guest-sync-delimited", "guest-ping", "guest-ping", "guest-ping");
    }

    @Test
    void staleRepliesLeftInTheStreamAreDiscarded() {
      connect();
      // What a previous client left behind: replies it never read, and earlier sync answers.
      agent.sendRaw("{\"return\": {\"host-name\": \"stale\"}}\n");
      agent.sendRaw(bytes(0xFF, "{\"return\": 4242}\n"));
      agent.sendRaw("{\"error\": {\"class\": \"GenericError\", \"desc\": \"old\"}}\n");
      agent.enqueue("guest-get-host-name", returns("{\"host-name\": \"fresh\"}"));

      assertThat(qga.hostName()).isEqualTo("fresh");
    }

    @Test
    void syncAnswersWithOtherIdsAreSkipped() {
      // As when syncs sent before qemu-ga started are all answered at once when it opens the port.
      agent.enqueue(
          "guest-sync-delimited",
          raw(bytes(0xFF, "{\"return\": 1}\n")),
          raw(bytes("{\"error\": {\"class\": \"GenericError\", \"desc\": \"stray\"}}\n")),
          raw(bytes(0xFF, "{\"return\": 2}\n")),
          syncReply());
      agent.enqueue("guest-get-host-name", returns("{\"host-name\": \"vm\"}"));

      assertThat(connect().hostName()).isEqualTo("vm");
    }

    @Test
    void garbageBeforeTheDelimiterIsIgnored() {
      agent.enqueue(
          "guest-sync-delimited",
          raw("{\"return\": {\"half\": [1, 2,"), // a reply cut short, no newline
          raw("not json at all\n"),
          raw(new byte[] {0x00, 0x01, (byte) 0xC3, '}', ']', '\n'}),
          syncReply());
      agent.enqueue("guest-get-host-name", returns("{\"host-name\": \"vm\"}"));

      assertThat(connect().hostName()).isEqualTo("vm");
    }

    @Test
    void delimitersInOddPlaces() {
      agent.enqueue(
          "guest-sync-delimited",
          raw(bytes("{\"return\": {\"x\": \"", 0xFF, "\"}}\n")), // inside a stale reply
          raw(bytes(0xFF, 0xFF, 0xFF, "\n")), // several in a row, then an empty line
          raw(bytes("{\"return\": 7}", 0xFF)), // right after a stale reply, before its newline
          syncReply());
      agent.enqueue("guest-get-host-name", returns("{\"host-name\": \"vm\"}"));

      assertThat(connect().hostName()).isEqualTo("vm");
      // A delimiter left over after the reply does not disturb the next command either.
      agent.sendRaw(bytes(0xFF));
      agent.enqueue("guest-get-host-name", returns("{\"host-name\": \"vm2\"}"));
      assertThat(qga.hostName()).isEqualTo("vm2");
    }

    @Test
    void noReplyAtAllTimesOutWithTheDocumentedMessage() {
      agent.always("guest-sync-delimited", silence());

      assertThatThrownBy(() -> connect().ping())
          .isInstanceOf(GuestAgentTimeoutException.class)
          .hasMessage(
              "the guest agent did not answer guest-sync-delimited within 5 s:"
                  + " is qemu-ga running in the guest?")
          .satisfies(
              e ->
                  assertThat(((GuestAgentTimeoutException) e).timeout())
                      .isEqualTo(Duration.ofSeconds(5)));
      assertThat(agent.commands()).containsExactly("guest-sync-delimited");
    }

    @Test
    void syncTimeoutIsConfigurableAndRetriedOnTheNextCall() {
      agent.enqueue("guest-sync-delimited", silence());
      connect(GuestAgentClient.builder().syncTimeout(Duration.ofMillis(300)));

      assertThatThrownBy(qga::ping)
          .isInstanceOf(GuestAgentTimeoutException.class)
          .hasMessage(
              "the guest agent did not answer guest-sync-delimited within 300 ms:"
                  + " is qemu-ga running in the guest?");
      qga.ping();
      assertThat(agent.commands())
          .containsExactly("guest-sync-delimited", "guest-sync-delimited", "guest-ping");
    }

    @Test
    void aReplyAfterTheTimeoutIsNeverHandedToTheNextCommand() {
      connect(GuestAgentClient.builder().commandTimeout(Duration.ofMillis(300)));
      agent.enqueue(
          "guest-get-host-name",
          delay(Duration.ofMillis(700)),
          returns("{\"host-name\": \"late\"}"));
      agent.enqueue("guest-get-host-name", returns("{\"host-name\": \"fresh\"}"));

      assertThatThrownBy(qga::hostName)
          .isInstanceOf(GuestAgentTimeoutException.class)
          .hasMessageContaining("guest-get-host-name got no reply")
          .hasMessageContaining("within 300 ms");
      assertThat(qga.hostName()).isEqualTo("fresh");
      assertThat(agent.commands())
          .containsExactly(
              "guest-sync-delimited",
              "guest-get-host-name",
              "guest-sync-delimited",
              "guest-get-host-name");
    }

    @Test
    void aRequestTheAgentDoesNotTakeEndsAtItsTimeoutAndClosesTheClient() {
      // A suspended guest or a stopped qemu-ga stops taking input: once the socket's buffers are
      // full, a write blocks, and only closing the socket ends it.
      connect(GuestAgentClient.builder().commandTimeout(Duration.ofMillis(300))).ping();
      agent.enqueue("guest-ping", returns("{}"), delay(Duration.ofSeconds(3)));
      qga.ping(); // answered, then the fake stops reading
      var big = JsonNodeFactory.instance.objectNode().put("data", "x".repeat(8 << 20));

      assertThatThrownBy(() -> qga.execute("guest-file-write", big))
          .isInstanceOf(GuestAgentTimeoutException.class)
          .hasMessageContaining("guest-file-write could not be sent to the guest agent")
          .hasMessageContaining("within 300 ms")
          .hasMessageContaining("is the guest suspended or frozen, or qemu-ga stopped?");
      assertThat(qga.isOpen()).isFalse();
      assertThatThrownBy(qga::ping)
          .isInstanceOf(GuestAgentConnectionClosedException.class)
          .hasMessageContaining("could not be sent within 300 ms");
    }

    @Test
    void aLateReplyWithoutIdIsDiscardedByTheResync() {
      // An agent that does not echo ids: only the resync protects the next command.
      connect(GuestAgentClient.builder().commandTimeout(Duration.ofMillis(300)));
      agent.enqueue(
          "guest-get-host-name",
          delay(Duration.ofMillis(600)),
          returnsWithoutId("{\"host-name\": \"late\"}"));
      agent.enqueue("guest-get-host-name", returnsWithoutId("{\"host-name\": \"fresh\"}"));

      assertThatThrownBy(qga::hostName).isInstanceOf(GuestAgentTimeoutException.class);
      assertThat(qga.hostName()).isEqualTo("fresh");
    }

    @Test
    void aStaleReplyWithAnotherIdIsSkipped() {
      connect().ping();
      agent.enqueue(
          "guest-get-host-name",
          raw("{\"return\": {\"host-name\": \"other\"}, \"id\": 1}\n"),
          returns("{\"host-name\": \"mine\"}"));
      assertThat(qga.hostName()).isEqualTo("mine");
    }

    @Test
    void anOversizedMessageFailsTheCallAndTheClientRecovers() {
      connect(GuestAgentClient.builder().maxMessageBytes(1024));
      agent.enqueue("guest-get-host-name", raw("{\"return\": \"" + "x".repeat(5000) + "\"}\n"));
      agent.enqueue("guest-get-host-name", returns("{\"host-name\": \"vm\"}"));

      assertThatThrownBy(qga::hostName)
          .isInstanceOf(GuestAgentProtocolException.class)
          .hasMessageContaining("larger than 1024 bytes");
      assertThat(qga.hostName()).isEqualTo("vm");
      assertThat(qga.isOpen()).isTrue();
    }

    @Test
    void malformedReplyIsAProtocolErrorAndForcesAResync() {
      connect().ping();
      agent.enqueue("guest-get-host-name", raw("this is not json\n"));
      agent.enqueue("guest-get-host-name", returns("{\"host-name\": \"vm\"}"));

      assertThatThrownBy(qga::hostName)
          .isInstanceOf(GuestAgentProtocolException.class)
          .hasMessageContaining("this is not json");
      assertThat(qga.hostName()).isEqualTo("vm");
      assertThat(agent.commands())
          .containsExactly(
              "guest-sync-delimited",
              "guest-ping",
              "guest-get-host-name",
              "guest-sync-delimited",
              "guest-get-host-name");
    }
  }

  // ------------------------------------------------------------------ connection

  @Nested
  class Connection {

    @Test
    void aDisconnectInTheMiddleOfAReplyClosesTheClient() {
      connect().ping();
      agent.enqueue("guest-get-host-name", raw("{\"return\": {\"host-na"), disconnect());

      assertThatThrownBy(qga::hostName)
          .isInstanceOf(GuestAgentConnectionClosedException.class)
          .hasMessageContaining("guest-get-host-name failed")
          .hasMessageContaining("middle of a message")
          .hasCauseInstanceOf(EOFException.class);
      assertThat(qga.isOpen()).isFalse();
      assertThatThrownBy(qga::ping).isInstanceOf(GuestAgentConnectionClosedException.class);
    }

    @Test
    void aCleanDisconnectSaysThatQemuClosedTheSocket() {
      connect().ping();
      agent.enqueue("guest-ping", disconnect());
      assertThatThrownBy(qga::ping)
          .isInstanceOf(GuestAgentConnectionClosedException.class)
          .hasMessageContaining("closed the guest agent socket");
    }

    @Test
    void closeEndsAPendingCallAndEveryThread() throws Exception {
      connect().ping();
      agent.enqueue("guest-get-host-name", silence());
      CompletableFuture<String> pending = CompletableFuture.supplyAsync(qga::hostName);
      agent.takeRequest();
      agent.takeRequest();
      agent.takeRequest(); // the host name request has arrived

      qga.close();

      assertThatThrownBy(() -> pending.get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(GuestAgentConnectionClosedException.class)
          .hasMessageContaining("was closed");
      assertThat(qgaThreads()).isEmpty();
      qga.close(); // idempotent
    }

    @Test
    void closeAlsoEndsTheAsyncThread() throws Exception {
      connect();
      assertThat(qga.executeAsync(new io.github.qemucpr.qga.command.GuestPing()).get()).isNull();
      assertThat(qgaThreads()).isNotEmpty();
      qga.close();
      assertThat(qgaThreads()).isEmpty();
    }

    @Test
    void connectingToAMissingSocketFails(@org.junit.jupiter.api.io.TempDir Path dir) {
      assertThatThrownBy(() -> GuestAgentClient.connect(dir.resolve("nothing.sock")))
          .isInstanceOf(GuestAgentConnectException.class)
          .hasMessageContaining("nothing.sock")
          .hasMessageContaining("org.qemu.guest_agent.0");
    }

    @Test
    void timeoutsOfForeverAreAsLongAsItTakes() {
      Duration forever = java.time.temporal.ChronoUnit.FOREVER.getDuration();
      qga =
          GuestAgentClient.builder()
              .unixSocket(agent.socketPath())
              .connectTimeout(forever)
              .waitForSocket(forever)
              .syncTimeout(forever)
              .commandTimeout(forever)
              .connect();

      qga.ping();
      assertThat(agent.commands()).containsExactly("guest-sync-delimited", "guest-ping");
    }

    @Test
    void waitForSocketRetriesUntilTheSocketAppears(@org.junit.jupiter.api.io.TempDir Path dir)
        throws Exception {
      Path late = dir.resolve("late.sock");
      // The socket appears (as a link to the agent's) after the connect started: a connect that
      // tried once, or gave up before its timeout, fails. The sleep only orders the two; the
      // timeout is past the class's @Timeout, so it cannot be what ends a wait.
      Thread appear =
          new Thread(
              () -> {
                try {
                  Thread.sleep(300);
                  Files.createSymbolicLink(late, agent.socketPath());
                } catch (InterruptedException | java.io.IOException e) {
                  throw new IllegalStateException(e);
                }
              },
              "late-socket");
      appear.start();
      qga =
          GuestAgentClient.builder()
              .unixSocket(late)
              .waitForSocket(Duration.ofMinutes(5))
              .connect();
      appear.join();
      qga.ping();
      assertThat(agent.commands()).containsExactly("guest-sync-delimited", "guest-ping");
    }

    @Test
    void interruptionRestoresTheFlag() throws Exception {
      connect().ping();
      agent.enqueue("guest-get-host-name", silence());
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      AtomicReference<Boolean> flag = new AtomicReference<>();
      Thread caller =
          new Thread(
              () -> {
                try {
                  qga.hostName();
                } catch (Throwable t) {
                  thrown.set(t);
                  flag.set(Thread.currentThread().isInterrupted());
                }
              });
      caller.start();
      agent.takeRequest();
      agent.takeRequest();
      agent.takeRequest();
      caller.interrupt();
      caller.join(5000);

      assertThat(thrown.get()).isInstanceOf(GuestAgentInterruptedException.class);
      assertThat(flag.get()).isTrue();
      qga.ping(); // resynchronizes first
      assertThat(agent.commands()).endsWith("guest-sync-delimited", "guest-ping");
    }

    @Test
    void commandsFromManyThreadsAreSentOneAtATime() throws Exception {
      connect().ping();
      agent.enqueue(
          "guest-get-host-name", delay(Duration.ofMillis(500)), returns("{\"host-name\": \"a\"}"));
      agent.enqueue("guest-get-host-name", returns("{\"host-name\": \"b\"}"));
      CompletableFuture<String> first = CompletableFuture.supplyAsync(qga::hostName);
      agent.takeRequest();
      agent.takeRequest();
      assertThat(agent.takeRequest().command()).isEqualTo("guest-get-host-name");

      CompletableFuture<String> second = CompletableFuture.supplyAsync(qga::hostName);
      Thread.sleep(250);
      assertThat(agent.commands()).as("the second waits for the first's reply").hasSize(3);

      assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo("a");
      assertThat(second.get(5, TimeUnit.SECONDS)).isEqualTo("b");
      List<Long> ids =
          agent.requests().stream()
              .filter(r -> r.id() != null)
              .map(r -> r.id().longValue())
              .toList();
      assertThat(ids).hasSize(3).doesNotHaveDuplicates();
    }

    @Test
    void aCallThatNeverGetsItsTurnTimesOut() throws Exception {
      connect(GuestAgentClient.builder().commandTimeout(Duration.ofSeconds(2))).ping();
      agent.enqueue(
          "guest-get-host-name", delay(Duration.ofMillis(1500)), returns("{\"host-name\": \"a\"}"));
      CompletableFuture<String> first = CompletableFuture.supplyAsync(qga::hostName);
      agent.takeRequest();
      agent.takeRequest();
      agent.takeRequest();

      assertThatThrownBy(
              () ->
                  qga.execute(
                      new io.github.qemucpr.qga.command.GuestPing(), Duration.ofMillis(200)))
          .isInstanceOf(GuestAgentTimeoutException.class)
          .hasMessageContaining("did not get its turn within 200 ms")
          .hasMessageContaining("guest-get-host-name held it");
      assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo("a");
    }
  }

  // ------------------------------------------------------------------ errors

  @Nested
  class Errors {

    @Test
    void anAgentErrorIsACommandException() {
      agent.enqueue("guest-get-host-name", error("GenericError", "something broke"));
      assertThatThrownBy(() -> connect().hostName())
          .isExactlyInstanceOf(GuestAgentCommandException.class)
          .hasMessage(
              "guest-get-host-name failed in the guest agent: something broke (GenericError)")
          .satisfies(
              e -> {
                GuestAgentCommandException c = (GuestAgentCommandException) e;
                assertThat(c.command()).isEqualTo("guest-get-host-name");
                assertThat(c.errorClass()).isEqualTo("GenericError");
                assertThat(c.description()).isEqualTo("something broke");
              });
      qga.ping(); // the stream is still in sync: no resync needed
      assertThat(agent.commands())
          .containsExactly("guest-sync-delimited", "guest-get-host-name", "guest-ping");
    }

    @Test
    void anUnknownCommandIsUnavailable() {
      assertThatThrownBy(() -> connect().execute("guest-frobnicate", null))
          .isInstanceOf(GuestAgentCommandUnavailableException.class)
          .hasMessageContaining("has not been found")
          .satisfies(
              e -> {
                var u = (GuestAgentCommandUnavailableException) e;
                assertThat(u.errorClass()).isEqualTo("CommandNotFound");
                assertThat(u.disabled()).isFalse();
              });
    }

    @Test
    void aDisabledCommandIsUnavailable() {
      // qemu-ga >= 2.x: CommandNotFound; older agents: GenericError with the same wording.
      agent.enqueue(
          "guest-exec",
          error("CommandNotFound", "Command guest-exec has been disabled: the command is blocked"));
      agent.enqueue(
          "guest-get-osinfo",
          error(
              "GenericError", "The command guest-get-osinfo has been disabled for this instance"));
      connect();

      assertThatThrownBy(() -> qga.exec(GuestExec.of("true")))
          .isInstanceOf(GuestAgentCommandUnavailableException.class)
          .satisfies(
              e -> assertThat(((GuestAgentCommandUnavailableException) e).disabled()).isTrue());
      assertThatThrownBy(qga::osInfo)
          .isInstanceOf(GuestAgentCommandUnavailableException.class)
          .satisfies(
              e ->
                  assertThat(((GuestAgentCommandUnavailableException) e).errorClass())
                      .isEqualTo("GenericError"));
    }

    @Test
    void aReplyOfTheWrongShapeIsAProtocolError() {
      agent.enqueue("guest-get-host-name", returns("[1, 2]"));
      assertThatThrownBy(() -> connect().hostName())
          .isInstanceOf(GuestAgentProtocolException.class)
          .hasMessageContaining("guest-get-host-name");
    }

    @Test
    void everyExceptionIsAGuestAgentException() {
      assertThat(GuestAgentException.class).isAssignableFrom(GuestAgentTimeoutException.class);
      assertThat(GuestAgentException.class)
          .isAssignableFrom(GuestAgentConnectionClosedException.class);
      assertThat(GuestAgentException.class).isAssignableFrom(GuestAgentProtocolException.class);
      assertThat(GuestAgentCommandException.class)
          .isAssignableFrom(GuestAgentCommandUnavailableException.class);
      assertThat(GuestAgentException.class).isAssignableFrom(GuestAgentInterruptedException.class);
      assertThat(GuestAgentException.class).isAssignableFrom(GuestAgentConnectException.class);
      assertThat(RuntimeException.class).isAssignableFrom(GuestAgentException.class);
    }
  }

  // ------------------------------------------------------------------ commands that never reply

  @Nested
  class NoReply {

    @Test
    void suspendIsAcceptedWhenNothingComesBackWithinTheWindow() {
      // Sync and command timeouts past the class's @Timeout: the window is the only wait that
      // can end the call (anErrorWithinTheWindowIsThrown shows that it is waited for).
      connect(
              GuestAgentClient.builder()
                  .noReplyWindow(Duration.ofMillis(300))
                  .syncTimeout(Duration.ofMinutes(5))
                  .commandTimeout(Duration.ofMinutes(5)))
          .ping();
      // The guest suspends: the agent answers neither the command nor the sync behind it.
      agent.enqueue("guest-sync-delimited", silence());

      qga.suspendRam();

      Request suspend = agent.requests().get(2);
      assertThat(suspend.command()).isEqualTo("guest-suspend-ram");
      assertThat(suspend.arguments().isEmpty()).isTrue();
      Request probe = agent.requests().get(3);
      assertThat(probe.command()).isEqualTo("guest-sync-delimited");
      assertThat(probe.delimitersBefore()).as("no 0xFF: the stream is in sync").isZero();

      // After the wake-up, the late answer to the probe is skipped by a fresh resync.
      agent.sendRaw(
          bytes(0xFF, "{\"return\": " + probe.arguments().path("id").longValue() + "}\n"));
      qga.ping();
      assertThat(agent.commands())
          .containsExactly(
              "guest-sync-delimited",
              "guest-ping",
              "guest-suspend-ram",
              "guest-sync-delimited",
              "guest-sync-delimited",
              "guest-ping");
    }

    @Test
    void anErrorForASuspendIsThrown() {
      agent.enqueue(
          "guest-suspend-ram",
          error("GenericError", "the requested suspend mode is not supported by the guest"));
      // Reported without waiting for the window, which is past the class's @Timeout.
      assertThatThrownBy(
              () -> connect(GuestAgentClient.builder().noReplyWindow(WINDOW)).suspendRam())
          .isExactlyInstanceOf(GuestAgentCommandException.class)
          .hasMessageContaining("not supported by the guest");
      qga.ping();
    }

    @Test
    void anErrorWithinTheWindowIsThrown() {
      // The error comes after the sync behind the command was sent: only a call that waits for
      // the window (and not just for what is already there) sees it.
      agent.enqueue(
          "guest-suspend-ram",
          delay(Duration.ofMillis(200)),
          error("GenericError", "the requested suspend mode is not supported by the guest"));
      assertThatThrownBy(
              () -> connect(GuestAgentClient.builder().noReplyWindow(WINDOW)).suspendRam())
          .isExactlyInstanceOf(GuestAgentCommandException.class)
          .hasMessageContaining("not supported by the guest");
      qga.ping();
    }

    @Test
    void aDisabledSuspendIsUnavailable() {
      agent.enqueue(
          "guest-suspend-ram",
          error("CommandNotFound", "Command guest-suspend-ram has been disabled"));
      assertThatThrownBy(() -> connect().suspendRam())
          .isInstanceOf(GuestAgentCommandUnavailableException.class);
    }

    @Test
    void aCommandThatFinishesWithoutErrorReturnsAtOnce() {
      // The agent goes on to the sync behind the command: it finished without an error. The
      // window is past the class's @Timeout, so returning shows the call did not wait for it.
      connect(GuestAgentClient.builder().noReplyWindow(WINDOW)).shutdown(ShutdownMode.HALT);
      Request shutdown = agent.requests().get(1);
      assertThat(shutdown.command()).isEqualTo("guest-shutdown");
      assertThat(shutdown.arguments().path("mode").asString()).isEqualTo("halt");
      qga.ping();
      assertThat(agent.commands()).last().isEqualTo("guest-ping");
      assertThat(agent.commands()).hasSize(4).as("no resync was needed");
    }

    @Test
    void anErrorAfterTheWindowIsDiscardedByTheNextResync() {
      connect(GuestAgentClient.builder().noReplyWindow(Duration.ofMillis(200))).ping();
      agent.enqueue(
          "guest-suspend-disk",
          delay(Duration.ofMillis(500)),
          error("GenericError", "child process has failed to suspend"));

      qga.suspendDisk();
      qga.ping();
    }

    @Test
    void theConnectionClosingCountsAsAccepted() {
      connect().ping();
      agent.enqueue("guest-shutdown", disconnect());
      qga.shutdown(ShutdownMode.POWERDOWN);
      assertThatThrownBy(qga::ping).isInstanceOf(GuestAgentConnectionClosedException.class);
    }

    @Test
    void theEscapeHatchForCommandsWithoutReply() {
      connect().executeWithoutReply("guest-suspend-hybrid", null);
      assertThat(agent.commands()).contains("guest-suspend-hybrid");
    }
  }

  // ------------------------------------------------------------------ typed commands

  @Nested
  class TypedCommands {

    @Test
    void infoReadsSupportedCommands() {
      agent.enqueue(
          "guest-info",
          returns(
              "{\"version\": \"7.2.22\", \"supported_commands\": [{\"enabled\": true, \"name\":"
                  + " \"guest-suspend-ram\", \"success-response\": false},{\"enabled\": false,"
                  + " \"name\": \"guest-exec\", \"success-response\": true}]}"));

      AgentInfo info = connect().info();

      assertThat(info.version()).isEqualTo("7.2.22");
      assertThat(info.supportedCommands()).hasSize(2);
      assertThat(info.isEnabled("guest-suspend-ram")).isTrue();
      assertThat(info.isEnabled("guest-exec")).isFalse();
      assertThat(info.isEnabled("guest-nothing")).isFalse();
      assertThat(info.command("guest-suspend-ram").orElseThrow().successResponse()).isFalse();
    }

    @Test
    void osInfoToleratesMissingMembers() {
      agent.enqueue(
          "guest-get-osinfo",
          returns(
              "{\"kernel-release\": \"6.1.0-56-amd64\", \"kernel-version\": \"#1 SMP\","
                  + " \"machine\": \"x86_64\", \"pretty-name\": \"Debian\", \"future\": 1}"));

      OsInfo os = connect().osInfo();

      assertThat(os.kernelRelease()).isEqualTo("6.1.0-56-amd64");
      assertThat(os.machine()).isEqualTo("x86_64");
      assertThat(os.prettyName()).isEqualTo("Debian");
      assertThat(os.id()).isNull();
    }

    @Test
    void timeHostNameAndFreeze() {
      agent.enqueue("guest-get-time", returns("1700000000123456789"));
      agent.enqueue("guest-get-host-name", returns("{\"host-name\": \"vm1\"}"));
      agent.enqueue("guest-fsfreeze-status", returns("\"thawed\""));
      agent.enqueue("guest-fsfreeze-freeze", returns("2"));
      agent.enqueue("guest-fsfreeze-status", returns("\"frozen\""));
      agent.enqueue("guest-fsfreeze-thaw", returns("2"));
      connect();

      assertThat(qga.time()).isEqualTo(Instant.ofEpochSecond(1_700_000_000L, 123_456_789));
      assertThat(qga.hostName()).isEqualTo("vm1");
      assertThat(qga.fsfreezeStatus()).isEqualTo(FreezeState.THAWED);
      assertThat(qga.fsfreezeFreeze()).isEqualTo(2);
      assertThat(qga.fsfreezeStatus()).isEqualTo(FreezeState.FROZEN);
      assertThat(qga.fsfreezeThaw()).isEqualTo(2);
    }

    @Test
    void runStartsTheProgramPollsAndDecodesItsOutput() {
      String out = Base64.getEncoder().encodeToString("hello\n".getBytes(StandardCharsets.UTF_8));
      String err = Base64.getEncoder().encodeToString("warn".getBytes(StandardCharsets.UTF_8));
      agent.enqueue("guest-exec", returns("{\"pid\": 104}"));
      agent.enqueue("guest-exec-status", returns("{\"exited\": false}"));
      agent.enqueue("guest-exec-status", returns("{\"exited\": false}"));
      agent.enqueue(
          "guest-exec-status",
          returns(
              "{\"exitcode\": 3, \"out-data\": \""
                  + out
                  + "\", \"err-data\": \""
                  + err
                  + "\", \"out-truncated\": false, \"exited\": true}"));

      ExecResult result = connect().run("echo", List.of("hello"), Duration.ofSeconds(5));

      assertThat(result).isEqualTo(new ExecResult(104, 3, null, "hello\n", "warn", false));
      assertThat(result.succeeded()).isFalse();
      Request exec = agent.requests().get(1);
      assertThat(exec.arguments().toString())
          .isEqualTo("{\"path\":\"echo\",\"arg\":[\"hello\"],\"capture-output\":true}");
      assertThat(agent.requests().get(2).arguments().path("pid").longValue()).isEqualTo(104);
    }

    @Test
    void runReportsASignal() {
      agent.enqueue("guest-exec", returns("{\"pid\": 5}"));
      agent.enqueue("guest-exec-status", returns("{\"exited\": true, \"signal\": 9}"));
      ExecResult result = connect().run(GuestExec.of("sleep", "100"), Duration.ofSeconds(5));
      assertThat(result.exitCode()).isEqualTo(-1);
      assertThat(result.signal()).isEqualTo(9);
      assertThat(result.stdout()).isEmpty();
    }

    @Test
    void runTimesOutWhenTheProgramKeepsRunning() {
      agent.enqueue("guest-exec", returns("{\"pid\": 77}"));
      agent.always("guest-exec-status", returns("{\"exited\": false}"));
      assertThatThrownBy(() -> connect().run("sleep", List.of("1000"), Duration.ofMillis(300)))
          .isInstanceOf(GuestAgentTimeoutException.class)
          .hasMessage(
              "process 77 (sleep) did not exit within 300 ms; it may still run in the guest");
    }

    @Test
    void execSendsEnvironmentAndInput() {
      agent.enqueue("guest-exec", returns("{\"pid\": 1}"));
      connect().exec(GuestExec.of("cat").withEnv(List.of("A=b")).withInput(new byte[] {1, 2, 3}));
      JsonNode arguments = agent.requests().get(1).arguments();
      assertThat(arguments.path("env").get(0).asString()).isEqualTo("A=b");
      assertThat(arguments.path("input-data").asString()).isEqualTo("AQID");
    }

    @Test
    void theUntypedEscapeHatch() throws Exception {
      agent.enqueue("guest-get-users", returns("[{\"user\": \"root\", \"login-time\": 1.5}]"));
      agent.enqueue("guest-get-timezone", returns("{\"offset\": 3600}"));
      connect();
      JsonNode users = qga.execute("guest-get-users", null);
      assertThat(users.get(0).path("user").asString()).isEqualTo("root");

      var arguments = JsonNodeFactory.instance.objectNode();
      JsonNode tz =
          qga.executeAsync("guest-get-timezone", arguments, Duration.ofSeconds(5))
              .get(5, TimeUnit.SECONDS);
      assertThat(tz.path("offset").intValue()).isEqualTo(3600);
      assertThatThrownBy(() -> qga.execute("guest-x", JsonNodeFactory.instance.arrayNode()))
          .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void asyncFailuresAreNotWrapped() {
      agent.enqueue("guest-get-host-name", error("GenericError", "nope"));
      CompletableFuture<?> f =
          connect().executeAsync(new io.github.qemucpr.qga.command.GuestGetHostName());
      assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS))
          .cause()
          .isExactlyInstanceOf(GuestAgentCommandException.class);
    }
  }

  // ------------------------------------------------------------------ builder

  @Nested
  class Builder {

    @Test
    void checksEachOption() {
      var builder = GuestAgentClient.builder();
      assertThatThrownBy(() -> builder.syncTimeout(Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("syncTimeout");
      assertThatThrownBy(() -> builder.commandTimeout(Duration.ofSeconds(-1)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("commandTimeout");
      assertThatThrownBy(() -> builder.maxMessageBytes(10))
          .isInstanceOf(IllegalArgumentException.class);
      builder.syncTimeout(Duration.ofSeconds(1));
      assertThatThrownBy(() -> builder.syncTimeout(Duration.ofSeconds(2)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("already set");
      assertThatThrownBy(builder::connect)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("unixSocket");
    }
  }

  static List<String> qgaThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith("qga-"))
        .toList();
  }

  @Test
  void anUntypedCallWithItsOwnTimeoutEndsAtThatTimeoutNotTheDefault() {
    agent.enqueue("guest-info", silence());
    GuestAgentClient client =
        connect(GuestAgentClient.builder().commandTimeout(Duration.ofSeconds(60)));

    assertThatThrownBy(() -> client.execute("guest-info", null, Duration.ofMillis(300)))
        .isInstanceOfSatisfying(
            GuestAgentTimeoutException.class,
            e -> assertThat(e.timeout()).isEqualTo(Duration.ofMillis(300)));
    agent.enqueue("guest-get-host-name", returns("{\"host-name\": \"vm\"}"));
    assertThat(
            client
                .execute("guest-get-host-name", null, Duration.ofSeconds(5))
                .path("host-name")
                .asString())
        .isEqualTo("vm");
  }
}

package io.github.qemucpr.qga.hostile;

import static io.github.qemucpr.testing.FakeGuestAgent.Action.raw;
import static io.github.qemucpr.testing.FakeGuestAgent.Action.returns;
import static io.github.qemucpr.testing.FakeGuestAgent.Action.silence;
import static io.github.qemucpr.testing.FakeGuestAgent.Action.syncReply;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.GuestAgentProtocolException;
import io.github.qemucpr.qga.GuestAgentTimeoutException;
import io.github.qemucpr.qga.command.GuestExecStatus;
import io.github.qemucpr.qga.command.GuestGetHostName;
import io.github.qemucpr.qga.command.GuestGetOsInfo;
import io.github.qemucpr.qmp.hostile.HostileThreads;
import io.github.qemucpr.testing.FakeGuestAgent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The guest agent client against an agent that misbehaves on purpose: it never answers the sync,
 * sends replies that never end, floods stale lines, answers ids nobody sent or with the wrong
 * shape. Each call ends within its bound with a {@code GuestAgentException}, and the next call
 * resynchronizes and works: the connection stays usable.
 */
@Timeout(60)
class HostileGuestAgentTest {

  private final FakeGuestAgent agent = FakeGuestAgent.start();
  private GuestAgentClient qga;

  @AfterEach
  void tearDown() {
    if (qga != null) {
      qga.close();
    }
    agent.close();
    HostileThreads.assertNoneLeft("qga-hostile-");
  }

  private GuestAgentClient connect(GuestAgentClient.Builder builder) {
    qga = builder.unixSocket(agent.socketPath()).name("hostile").connect();
    return qga;
  }

  private GuestAgentClient connect() {
    return connect(
        GuestAgentClient.builder()
            .syncTimeout(Duration.ofMillis(500))
            .commandTimeout(Duration.ofMillis(500)));
  }

  @Test
  void anAgentThatNeverAnswersTheSyncFailsWithinTheSyncTimeout() {
    agent.always("guest-sync-delimited", silence());
    GuestAgentClient qga = connect();

    assertThatThrownBy(qga::ping)
        .isInstanceOfSatisfying(
            GuestAgentTimeoutException.class,
            e -> assertThat(e.timeout()).isEqualTo(Duration.ofMillis(500)))
        .hasMessageContaining("did not answer guest-sync-delimited within 500 ms");

    agent.always("guest-sync-delimited", syncReply());
    qga.ping();
  }

  @Test
  void aReplyThatNeverEndsBelowTheLimitTimesOutAndTheNextCallResyncs() {
    agent.enqueue("guest-get-host-name", raw("{\"return\": {\"host-name\": \"" + "x".repeat(2000)));
    agent.always("guest-get-host-name", returns("{\"host-name\": \"vm1\"}"));
    GuestAgentClient qga = connect();

    // The command's own timeout ends it (the sync before it was answered).
    assertThatThrownBy(qga::hostName)
        .isInstanceOfSatisfying(
            GuestAgentTimeoutException.class,
            e -> assertThat(e.timeout()).isEqualTo(Duration.ofMillis(500)))
        .hasMessageContaining("guest-get-host-name got no reply");

    assertThat(qga.hostName()).isEqualTo("vm1");
  }

  @Test
  void aReplyOfExactlyTheLimitIsAcceptedAndOneBytePastFailsWithTheLimitError() {
    int limit = 4096;
    agent.enqueue("guest-get-host-name", raw(hostNameReplyOfLength(limit)));
    agent.enqueue("guest-get-host-name", raw(hostNameReplyOfLength(limit + 1)));
    agent.always("guest-get-host-name", returns("{\"host-name\": \"vm1\"}"));
    GuestAgentClient qga = connect(GuestAgentClient.builder().maxMessageBytes(limit));

    assertThat(qga.hostName()).hasSize(limit - hostNameReplyOfLength(0).length() + 1);
    assertThatThrownBy(qga::hostName)
        .isInstanceOf(GuestAgentProtocolException.class)
        .hasMessageContaining("larger than " + limit + " bytes");
    assertThat(qga.hostName()).isEqualTo("vm1");
    assertThat(qga.isOpen()).isTrue();
  }

  @Test
  void anEndlessReplyIsCutAtTheLimitAndTheClientResyncs() {
    byte[] endless = new byte[16 * 1024 * 1024];
    java.util.Arrays.fill(endless, (byte) 'x');
    agent.enqueue("guest-get-host-name", raw(endless));
    agent.always("guest-get-host-name", returns("{\"host-name\": \"vm1\"}"));
    GuestAgentClient qga =
        connect(
            GuestAgentClient.builder()
                .maxMessageBytes(64 * 1024)
                .syncTimeout(Duration.ofMinutes(5))
                .commandTimeout(Duration.ofMinutes(5)));

    // Failed by the limit, not by a timeout: with these timeouts, a reader that held on to the
    // 16 MiB, or could not find the sync's 0xFF behind it, runs into the test's @Timeout.
    assertThatThrownBy(qga::hostName)
        .isInstanceOf(GuestAgentProtocolException.class)
        .hasMessageContaining("larger than " + 64 * 1024 + " bytes");

    // The reader skips the rest of it up to the sync's 0xFF, holding none of it.
    assertThat(qga.hostName()).isEqualTo("vm1");
  }

  @Test
  void aFloodOfStaleLinesIsSkippedAndTheReplyBehindItIsTaken() {
    String stale = "{\"return\": {\"host-name\": \"stale\"}, \"id\": 1}\n".repeat(200_000);
    agent.enqueue("guest-get-host-name", raw(stale), returns("{\"host-name\": \"vm1\"}"));
    // A timeout past the test's @Timeout: a reply lost behind the flood fails as a hang, not as
    // a slow call.
    GuestAgentClient qga =
        connect(GuestAgentClient.builder().commandTimeout(Duration.ofMinutes(5)));

    assertThat(qga.hostName()).isEqualTo("vm1");
  }

  @Test
  void whatTheAgentSendsWhileNoCommandWaitsNeverAnswersTheNextCommand() throws Exception {
    agent.always("guest-get-host-name", returns("{\"host-name\": \"vm1\"}"));
    GuestAgentClient qga = connect();
    assertThat(qga.hostName()).isEqualTo("vm1");
    int before = agent.commands().size();

    // Unasked: a reply without an id, which would pass for the answer to the next command.
    agent.sendRaw("{\"return\": {\"host-name\": \"not-asked\"}}\n");
    Thread.sleep(200); // read and skipped while the client is idle

    assertThat(qga.hostName()).isEqualTo("vm1");
    assertThat(agent.commands().subList(before, agent.commands().size()))
        .containsExactly("guest-sync-delimited", "guest-get-host-name");
  }

  @Test
  void repliesToIdsNobodySentAreDroppedAndTheCallGetsItsOwn() {
    agent.always(
        "guest-get-host-name",
        (c, r) -> {
          long id = r.id().asLong();
          for (String other :
              List.of(
                  String.valueOf(id + 1000),
                  "-1",
                  "\"" + id + "\"",
                  id + ".5",
                  "18446744073709551616",
                  "1e999",
                  "{\"nested\": " + id + "}",
                  "true")) {
            c.write(
                ("{\"return\": {\"host-name\": \"wrong\"}, \"id\": " + other + "}\n")
                    .getBytes(StandardCharsets.UTF_8));
          }
          returns("{\"host-name\": \"vm1\"}").run(c, r);
        });
    GuestAgentClient qga = connect();

    for (int i = 0; i < 10; i++) {
      assertThat(qga.hostName()).isEqualTo("vm1");
    }
  }

  @Test
  void aReturnOfTheWrongShapeFailsThatCallAloneAndTheNextOneWorks() {
    List<String> wrong =
        List.of(
            "\"vm1\"", "[]", "42", "null", "{\"host-name\": []}", "{\"host-name\": null}", "{}");
    for (String shape : wrong) {
      agent.enqueue("guest-get-host-name", returns(shape));
    }
    agent.always("guest-get-host-name", returns("{\"host-name\": \"vm1\"}"));
    agent.enqueue("guest-get-osinfo", returns("[]"));
    agent.enqueue("guest-exec-status", returns("{\"exited\": \"yes\"}"));
    agent.enqueue("guest-exec-status", returns("{\"exited\": true, \"out-data\": \"aGk=a\"}"));
    GuestAgentClient qga = connect();

    for (String shape : wrong) {
      assertThatThrownBy(qga::hostName, shape)
          .isInstanceOf(GuestAgentProtocolException.class)
          .hasMessageContaining("guest-get-host-name");
    }
    assertThatThrownBy(() -> qga.execute(new GuestGetOsInfo()))
        .isInstanceOf(GuestAgentProtocolException.class);
    assertThatThrownBy(() -> qga.execute(new GuestExecStatus(1)))
        .isInstanceOf(GuestAgentProtocolException.class);
    assertThatThrownBy(() -> qga.execute(new GuestExecStatus(1)))
        .isInstanceOf(GuestAgentProtocolException.class)
        .hasMessageContaining("base64");
    assertThat(qga.execute(new GuestGetHostName()).hostName()).isEqualTo("vm1");
    assertThat(qga.isOpen()).isTrue();
  }

  /**
   * A reply of many small values is read as a stream; its value is built as a tree only up to
   * 65,536 JSON tokens (a tree takes up to 30 times its text), past which the call fails alone. A
   * command that returns nothing builds no tree, however large its reply.
   */
  @Test
  void aReturnOfMoreTokensThanAReplyMayHoldFailsThatCallAloneAndTheNextOneWorks() {
    // {"host-name": "vm1", "v": [{},...]}: 7 tokens, and 2 a value.
    agent.enqueue("guest-get-host-name", returns(hostNameWithValues(32_000))); // 64,007 tokens
    agent.enqueue("guest-get-host-name", returns(hostNameWithValues(33_000))); // 66,007 tokens
    agent.always("guest-get-host-name", returns("{\"host-name\": \"vm1\"}"));
    agent.always("guest-ping", returns(hostNameWithValues(300_000)));
    GuestAgentClient qga = connect();

    assertThat(qga.execute(new GuestGetHostName()).hostName()).isEqualTo("vm1");
    assertThatThrownBy(qga::hostName)
        .isInstanceOf(GuestAgentProtocolException.class)
        .hasMessageContaining("66007 JSON tokens")
        .hasMessageContaining("guest-get-host-name");
    qga.ping();
    assertThat(qga.execute(new GuestGetHostName()).hostName()).isEqualTo("vm1");
    assertThat(qga.isOpen()).isTrue();
  }

  private static String hostNameWithValues(int values) {
    return "{\"host-name\": \"vm1\", \"v\": [" + "{},".repeat(values - 1) + "{}]}";
  }

  /** {@code {"return": {"host-name": "xxx"}}} padded to exactly {@code length} bytes + newline. */
  private static String hostNameReplyOfLength(int length) {
    String head = "{\"return\": {\"host-name\": \"";
    String tail = "\"}}";
    return head + "x".repeat(Math.max(0, length - head.length() - tail.length())) + tail + "\n";
  }
}

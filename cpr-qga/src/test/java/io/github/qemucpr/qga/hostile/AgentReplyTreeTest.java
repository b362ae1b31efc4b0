package io.github.qemucpr.qga.hostile;

import static io.github.qemucpr.testing.FakeGuestAgent.Action.raw;
import static io.github.qemucpr.testing.FakeGuestAgent.Action.syncReply;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.hostile.ChildJvm;
import io.github.qemucpr.testing.FakeGuestAgent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Replies are read as a stream, not as trees (issue 11, item 1): a guest whose agent answers every
 * command with a reply just under the 1 MiB message limit, made of many small JSON values ({@code
 * [{},{},...]}, about 340,000 of them). The reader stores it within its bound; when the command
 * parsed the whole line into a {@code JsonNode} tree before it even looked at the id, that tree was
 * about 25 times the line (33 MiB). The same 16 MiB live-heap bound as {@link AgentFloodTest} is
 * asserted here, in the same 64 MiB child JVM, while the client runs commands all the time.
 */
@Timeout(600)
class AgentReplyTreeTest {

  @Test
  void aReplyOfManySmallValuesAtTheMessageLimitLeavesTheHeapBounded() throws Exception {
    // {"return": {"v": [{},{},...]}} below 1 MiB, with no id (an answer without an id counts).
    String head = "{\"return\": {\"v\": [{}";
    String tail = "]}}\n";
    int values = (1024 * 1024 - 64 - head.length() - tail.length()) / 3;
    byte[] reply = (head + ",{}".repeat(values) + tail).getBytes(StandardCharsets.US_ASCII);
    assertThat(reply.length).isLessThan(1024 * 1024);

    try (FakeGuestAgent agent = FakeGuestAgent.start()) {
      agent.always("guest-sync-delimited", syncReply());
      agent.always("guest-ping", raw(reply));
      try (ChildJvm child =
          ChildJvm.start(AgentFloodChild.class, "64m", agent.socketPath().toString(), "busy")) {
        child.expect("READY", Duration.ofSeconds(60));
        Thread.sleep(AgentFloodTest.FLOOD.toMillis());
        child.send("STOP");
        Map<String, String> results = child.awaitResults(Duration.ofSeconds(120));
        System.out.printf(
            "qga replies of %d small values: child %s; heap %s%n",
            values, results, child.heapFigures());

        assertThat(results.get("uncaught")).as(child.describe()).isEqualTo("none");
        assertThat(results.get("commandAfterFlood")).as(child.describe()).isEqualTo("ok");
        assertThat(Long.parseLong(results.get("commandsOkDuringFlood"))).isPositive();
        assertThat(child.maxLiveHeapBytes())
            .as(
                "the most heap live in the child after a full collection (collector log); results "
                    + results
                    + "; heap "
                    + child.heapFigures())
            .isLessThan(16L * 1024 * 1024);
      }
    }
  }
}

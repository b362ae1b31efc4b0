package io.github.qemucpr.qga.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.hostile.ChildJvm;
import io.github.qemucpr.testing.FakeGuestAgent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Whatever the agent's reader thread meets, an {@code OutOfMemoryError} included, closes the client
 * with that as the cause: a waiting call fails at once, and the client is never left half alive
 * (open, with no reader, its calls timing out). Made real with a client whose message limit is
 * larger than its JVM's heap ({@link AgentReaderFailureChild}).
 */
@Timeout(120)
class AgentReaderFailureTest {

  @Test
  void aReaderThatRunsOutOfMemoryClosesTheClientWithTheCauseAndFailsTheWaitingCall() {
    byte[] chunk = new byte[1024 * 1024];
    Arrays.fill(chunk, (byte) 'x');
    try (FakeGuestAgent agent = FakeGuestAgent.start();
        ChildJvm child =
            ChildJvm.start(AgentReaderFailureChild.class, "32m", agent.socketPath().toString())) {
      agent.enqueue(
          "guest-get-host-name",
          (c, r) -> {
            c.write("{\"return\": {\"host-name\": \"".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 100; i++) {
              c.write(chunk); // 100 MiB, more than the child's whole heap
            }
            c.write("\"}}\n".getBytes(StandardCharsets.US_ASCII));
          });

      Map<String, String> results = child.awaitResults(Duration.ofSeconds(90));

      assertThat(results.get("uncaught")).as(child.describe()).isEqualTo("none");
      assertThat(results.get("failure"))
          .as(child.describe())
          .isEqualTo("GuestAgentConnectionClosedException");
      assertThat(results.get("failureCause")).isEqualTo(OutOfMemoryError.class.getName());
      assertThat(results.get("failureMessage")).contains("guest-get-host-name failed");
      assertThat(results.get("clientOpen")).isEqualTo("false");
    }
  }
}

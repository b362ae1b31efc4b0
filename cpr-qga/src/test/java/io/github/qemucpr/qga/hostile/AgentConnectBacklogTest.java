package io.github.qemucpr.qga.hostile;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.GuestAgentConnectException;
import io.github.qemucpr.qmp.hostile.FullBacklog;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A guest agent socket whose listener never accepts (a QEMU that is stopped) must not hang {@code
 * connect}: the agent client retries within its connect timeout, and each try is bounded too.
 */
class AgentConnectBacklogTest {

  @TempDir Path dir;

  @Test
  @Timeout(120) // a hang guard only: before the fix, connect never returned
  void aFullBacklogEndsInAConnectErrorWithinTheConnectTimeout() throws Exception {
    try (FullBacklog socket = FullBacklog.listen(dir)) {
      assertThatThrownBy(
              () ->
                  GuestAgentClient.builder()
                      .unixSocket(socket.path())
                      .connectTimeout(Duration.ofMillis(500))
                      .connect())
          .isInstanceOf(GuestAgentConnectException.class)
          .hasMessageContaining(socket.path().toString())
          .hasMessageContaining("backlog is full");
    }
  }
}

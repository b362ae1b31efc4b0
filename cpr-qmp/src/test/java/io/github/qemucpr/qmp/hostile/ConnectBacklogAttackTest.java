package io.github.qemucpr.qmp.hostile;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpConnectException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A monitor socket whose listener never accepts (a QEMU stopped with SIGSTOP, or a hostile process
 * at the socket's path) must not hang {@code connect}: a Unix socket's connect blocks while the
 * backlog is full, and junixsocket ignores the connect timeout.
 */
class ConnectBacklogAttackTest {

  @TempDir Path dir;

  @Test
  @Timeout(120) // a hang guard only: before the fix, connect never returned
  void aFullBacklogEndsInAConnectErrorWithinTheConnectTimeout() throws Exception {
    try (FullBacklog socket = FullBacklog.listen(dir)) {
      assertThatThrownBy(
              () ->
                  QmpClient.builder()
                      .unixSocket(socket.path())
                      .connectTimeout(Duration.ofMillis(500))
                      .connect())
          .isInstanceOf(QmpConnectException.class)
          .hasMessageContaining(socket.path().toString())
          .hasMessageContaining("backlog is full")
          .hasMessageContaining("500 ms");
    }
  }
}

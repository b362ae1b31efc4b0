package io.github.qemucpr.qmp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.hostile.HostileThreads;
import io.github.qemucpr.qmp.testing.QemuProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fault 9 of issue 7: a second client on a QMP socket that a first one holds. QEMU serves one
 * client per monitor and leaves the second in the listen backlog, unanswered: the second client
 * fails with a connect timeout that says another client may hold the socket, leaves nothing behind,
 * and the first client and the VM carry on.
 */
@Timeout(60)
class SecondClientIT {

  @Test
  void aSecondClientFailsWithAConnectTimeoutThatNamesTheLikelyCause() throws Exception {
    try (QemuProcess qemu = QemuProcess.builder().name("second-client-it").start()) {
      QmpClient first = QmpClient.builder().unixSocket(qemu.qmpSocket()).name("first").connect();
      try {
        long descriptors = openDescriptors();
        Duration timeout = Duration.ofSeconds(1);

        assertThatThrownBy(
                () ->
                    QmpClient.builder()
                        .unixSocket(qemu.qmpSocket())
                        .name("second")
                        .connectTimeout(timeout)
                        .connect())
            .isInstanceOfSatisfying(
                QmpTimeoutException.class, e -> assertThat(e.timeout()).isEqualTo(timeout))
            .hasMessageContaining("no QMP greeting from " + qemu.qmpSocket())
            .hasMessageContaining("within 1000 ms")
            .hasMessageContaining("another client may hold the socket");

        HostileThreads.assertNoneLeft("qmp-second-");
        assertThat(openDescriptors()).as("open file descriptors").isEqualTo(descriptors);
        assertThat(first.execute(new QueryStatus()).status()).isEqualTo(RunState.RUNNING);
        assertThat(qemu.isAlive()).isTrue();
      } finally {
        first.close();
      }

      // Once the first client leaves, QEMU serves the next one.
      try (QmpClient next =
          QmpClient.builder()
              .unixSocket(qemu.qmpSocket())
              .name("next")
              .connectTimeout(Duration.ofSeconds(10))
              .connect()) {
        assertThat(next.execute(new QueryStatus()).status()).isEqualTo(RunState.RUNNING);
      }
      HostileThreads.assertNoneLeft("qmp-first-");
    }
  }

  static long openDescriptors() throws IOException, InterruptedException {
    // Give closed sockets a moment; the count is otherwise exact.
    Thread.sleep(100);
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }
}

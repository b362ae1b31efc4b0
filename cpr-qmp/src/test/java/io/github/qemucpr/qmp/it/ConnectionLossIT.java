package io.github.qemucpr.qmp.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.command.RunStatus;
import io.github.qemucpr.qmp.testing.QemuProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What the client does when QEMU dies under it, and that it leaves no thread behind. */
class ConnectionLossIT {

  @Test
  void sigkillFailsEveryPendingCallAsClosedNotByItsTimeout() throws Exception {
    try (QemuProcess qemu = QemuProcess.builder().name("sigkill-it").start();
        QmpClient qmp = qemu.connect()) {
      assertThat(qmp.execute(new QueryStatus()).running()).isTrue();

      qemu.kill("STOP"); // QEMU reads nothing now, so the calls stay pending.
      List<CompletableFuture<RunStatus>> pending = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        pending.add(qmp.executeAsync(new QueryStatus(), Duration.ofSeconds(30)));
      }
      Thread.sleep(200);
      assertThat(pending).noneMatch(CompletableFuture::isDone);

      qemu.kill("KILL");
      CompletableFuture<Void> all =
          CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).handle((r, t) -> null);
      all.get(60, TimeUnit.SECONDS); // a hang guard: each call would time out after 30 s
      // Failed by the connection loss: a call left to its 30 s timeout fails with a
      // QmpTimeoutException instead.
      for (CompletableFuture<RunStatus> f : pending) {
        assertThat(f)
            .failsWithin(Duration.ZERO)
            .withThrowableOfType(java.util.concurrent.ExecutionException.class)
            .withCauseInstanceOf(QmpConnectionClosedException.class);
      }
      assertThat(qmp.isOpen()).isFalse();
      assertThat(qmp.closeFuture().get(1, TimeUnit.SECONDS))
          .isInstanceOf(QmpConnectionClosedException.class);
    }
  }

  @Test
  void closeLeavesNoClientThreads() throws Exception {
    try (QemuProcess qemu = QemuProcess.builder().name("threads-it").start()) {
      QmpClient qmp = QmpClient.builder().unixSocket(qemu.qmpSocket()).name("threads-it").connect();
      assertThat(qmp.execute(new QueryStatus()).status()).isEqualTo(RunState.RUNNING);
      assertThat(clientThreads()).isNotEmpty();
      qmp.close();
      qmp.close(); // idempotent
      assertThat(qmp.isOpen()).isFalse();
      assertThat(clientThreadsAfterGrace()).as("threads named qmp-* after close()").isEmpty();
    }
  }

  /**
   * The client threads still alive, allowing 500 ms: close() waits for its executors to terminate,
   * and a pool's worker can still be on its way out when that returns.
   */
  private static List<String> clientThreadsAfterGrace() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
    List<String> alive = clientThreads();
    while (!alive.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(5);
      alive = clientThreads();
    }
    return alive;
  }

  private static List<String> clientThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith("qmp-"))
        .collect(Collectors.toList());
  }
}

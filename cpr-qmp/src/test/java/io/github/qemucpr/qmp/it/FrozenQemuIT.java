package io.github.qemucpr.qmp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.event.StopEvent;
import io.github.qemucpr.qmp.hostile.HostileThreads;
import io.github.qemucpr.qmp.testing.QemuProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Fault 3 of issue 7, for the QMP client: QEMU frozen with SIGSTOP, as a hung monitor. Every call
 * ends in a timeout within its bound; after SIGCONT the client works again, or, if a request was
 * stuck half-written, it has failed cleanly and a new client works. The VM keeps running
 * throughout, and nothing is left behind.
 */
@Timeout(120)
class FrozenQemuIT {

  private static final Duration TIMEOUT = Duration.ofMillis(500);

  @Test
  void whileQemuIsStoppedEveryCallTimesOutInTimeAndAfterContTheClientWorks() throws Exception {
    try (QemuProcess qemu = QemuProcess.builder().name("frozen-it").start()) {
      long descriptors = SecondClientIT.openDescriptors();
      try (QmpClient qmp =
          QmpClient.builder()
              .unixSocket(qemu.qmpSocket())
              .name("frozen")
              .commandTimeout(TIMEOUT)
              .connect()) {
        assertThat(qmp.execute(new QueryStatus()).status()).isEqualTo(RunState.RUNNING);

        qemu.kill("STOP");
        try {
          assertTimesOut(() -> qmp.execute(new QueryStatus()));
          assertTimesOut(() -> qmp.execute("query-version", null));
          assertTimesOut(
              () -> {
                try {
                  qmp.executeAsync(new QueryMigrate()).get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                  throw (RuntimeException) e.getCause();
                }
                return null;
              });
          assertTimesOut(() -> qmp.awaitEvent(StopEvent.class, e -> true, TIMEOUT));
          assertThat(qmp.isOpen()).isTrue();
        } finally {
          qemu.kill("CONT");
        }

        // The late replies arrive now and are dropped; the next call gets its own.
        assertThat(qmp.execute(new QueryStatus(), Duration.ofSeconds(10)).status())
            .isEqualTo(RunState.RUNNING);
        assertThat(qmp.execute("query-version", null).path("qemu").path("major").asInt())
            .isGreaterThanOrEqualTo(10);
      }
      HostileThreads.assertNoneLeft("qmp-frozen-");
      assertThat(SecondClientIT.openDescriptors()).isEqualTo(descriptors);
      assertThat(qemu.isAlive()).isTrue();
    }
  }

  @Test
  void aFreezeThatFillsTheSocketFailsEveryCallInTimeClosesCleanlyAndTheVmRuns() throws Exception {
    try (QemuProcess qemu = QemuProcess.builder().name("frozen-full-it").start()) {
      long descriptors = SecondClientIT.openDescriptors();
      QmpClient qmp =
          QmpClient.builder()
              .unixSocket(qemu.qmpSocket())
              .name("frozen")
              .commandTimeout(TIMEOUT)
              .connect();
      // An argument QEMU refuses harmlessly once it reads it, padded to fill the socket.
      JsonNode padded = JsonNodeFactory.instance.objectNode().put("padding", "x".repeat(100_000));
      qemu.kill("STOP");
      try {
        List<CompletableFuture<JsonNode>> calls = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
          calls.add(qmp.executeAsync("query-status", padded, TIMEOUT));
        }
        // Each call ends by its own timeout: not sent (or not answered) in time, or failed with
        // the connection the client closed because QEMU did not read a request for that long.
        for (CompletableFuture<JsonNode> call : calls) {
          assertThatThrownBy(() -> call.get(30, TimeUnit.SECONDS))
              .isInstanceOf(ExecutionException.class)
              .cause()
              .satisfiesAnyOf(
                  c -> assertTimeoutOf(c),
                  c ->
                      assertThat(c)
                          .isInstanceOf(QmpConnectionClosedException.class)
                          .hasMessageContaining(
                              "did not read a request for " + TIMEOUT.toMillis() + " ms"));
        }
        assertThat(qmp.isOpen()).isFalse();
        assertThat(qmp.closeFuture().get(1, TimeUnit.SECONDS))
            .isInstanceOf(QmpConnectionClosedException.class)
            .hasMessageContaining("did not read a request")
            .hasMessageContaining("stopped or hung");
        assertThatThrownBy(() -> qmp.execute(new QueryStatus()))
            .isInstanceOf(QmpConnectionClosedException.class);
      } finally {
        qemu.kill("CONT");
        qmp.close();
      }

      // QEMU drops the half-read request with the connection; a new client finds the VM running.
      try (QmpClient again =
          QmpClient.builder()
              .unixSocket(qemu.qmpSocket())
              .name("again")
              .connectTimeout(Duration.ofSeconds(10))
              .connect()) {
        assertThat(again.execute(new QueryStatus()).status()).isEqualTo(RunState.RUNNING);
      }
      HostileThreads.assertNoneLeft("qmp-frozen-");
      HostileThreads.assertNoneLeft("qmp-again-");
      assertThat(SecondClientIT.openDescriptors()).isEqualTo(descriptors);
      assertThat(qemu.isAlive()).isTrue();
    }
  }

  /** The call fails with the timeout it was given, not with another one or another failure. */
  private static void assertTimesOut(java.util.concurrent.Callable<?> call) {
    assertThatThrownBy(call::call).satisfies(FrozenQemuIT::assertTimeoutOf);
  }

  private static void assertTimeoutOf(Throwable t) {
    assertThat(t)
        .isInstanceOfSatisfying(
            QmpTimeoutException.class, e -> assertThat(e.timeout()).isEqualTo(TIMEOUT));
  }
}

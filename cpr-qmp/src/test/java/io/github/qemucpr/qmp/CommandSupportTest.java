package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.qapi.machine.QueryCpusFast;
import io.github.qemucpr.qmp.qapi.runstate.QueryStatus;
import io.github.qemucpr.testing.FakeQmpServer;
import io.github.qemucpr.testing.Responders;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** {@link QmpClient#supports}: answered from the QEMU's own command list, asked once. */
class CommandSupportTest {

  @Test
  void supportsAsksQemuOnceAndAnswersByName() {
    try (FakeQmpServer server = FakeQmpServer.start()) {
      server.on(
          "query-commands",
          Responders.returns("[{\"name\": \"query-status\"}, {\"name\": \"qmp_capabilities\"}]"));
      try (QmpClient qmp = QmpClient.connect(server.socketPath())) {
        assertThat(server.commandNames()).doesNotContain("query-commands");

        assertThat(qmp.supports(new QueryStatus())).isTrue();
        assertThat(qmp.supports(new QueryCpusFast())).isFalse();
        assertThat(qmp.supports("query-status")).isTrue();
        assertThat(qmp.supports("x-not-a-command")).isFalse();

        assertThat(server.commandNames()).containsOnlyOnce("query-commands");
      }
    }
  }

  @Test
  void eachConnectionAsksItsOwnQemu() {
    try (FakeQmpServer server = FakeQmpServer.start()) {
      server.enqueue("query-commands", Responders.returns("[{\"name\": \"query-status\"}]"));
      server.enqueue("query-commands", Responders.returns("[{\"name\": \"query-cpus-fast\"}]"));
      try (QmpClient first = QmpClient.connect(server.socketPath())) {
        assertThat(first.supports(new QueryStatus())).isTrue();
      }
      try (QmpClient second = QmpClient.connect(server.socketPath())) {
        assertThat(second.supports(new QueryStatus())).isFalse();
        assertThat(second.supports(new QueryCpusFast())).isTrue();
      }
    }
  }

  @Test
  void aGeneratedCommandTheQemuLacksFailsBeforeItIsSent() {
    try (FakeQmpServer server = FakeQmpServer.start()) {
      server.on("query-commands", Responders.returns("[{\"name\": \"query-status\"}]"));
      server.on("query-cpus-fast", Responders.returns("[]"));
      server.on("query-status", Responders.returns("{\"status\": \"running\", \"running\": true}"));
      try (QmpClient qmp = QmpClient.connect(server.socketPath())) {
        String version = qmp.greeting().version().toString();

        assertThatThrownBy(() -> qmp.execute(new QueryCpusFast()))
            .isInstanceOf(QmpCommandNotFoundException.class)
            .hasMessageContaining("query-cpus-fast")
            .hasMessageContaining("QEMU " + version)
            .hasMessageContaining("not sent");
        assertThat(qmp.executeAsync(new QueryCpusFast()))
            .failsWithin(Duration.ofSeconds(10))
            .withThrowableOfType(ExecutionException.class)
            .withCauseInstanceOf(QmpCommandNotFoundException.class);
        assertThat(server.commandNames()).doesNotContain("query-cpus-fast");

        // One it has is sent; the untyped escape hatch is never checked.
        assertThat(qmp.execute(new QueryStatus()).running()).isTrue();
        qmp.execute("query-cpus-fast", null);
        assertThat(server.commandNames())
            .containsOnlyOnce("query-commands", "query-cpus-fast")
            .contains("query-status");
      }
    }
  }

  @Test
  void aQemuThatCannotListItsCommandsIsAskedTheCommandItself() {
    // A QEMU (or fake) without query-commands: the command goes to QEMU, which answers for itself.
    try (FakeQmpServer server = FakeQmpServer.start()) {
      server.on("query-cpus-fast", Responders.returns("[]"));
      try (QmpClient qmp = QmpClient.connect(server.socketPath())) {
        assertThat(qmp.execute(new QueryCpusFast())).isEmpty();
        assertThat(qmp.execute(new QueryCpusFast())).isEmpty();
        assertThat(server.commandNames()).containsOnlyOnce("query-commands");
      }
    }
  }

  @Test
  void concurrentFirstCallersShareOneFetch() throws Exception {
    try (FakeQmpServer server = FakeQmpServer.start()) {
      List<FakeQmpServer.Exchange> held = Collections.synchronizedList(new ArrayList<>());
      boolean[] released = {false};
      server.on(
          "query-commands",
          (request, x) -> {
            synchronized (released) {
              if (!released[0]) {
                held.add(x);
                return;
              }
            }
            x.returns("[{\"name\": \"query-status\"}]");
          });
      try (QmpClient qmp = QmpClient.connect(server.socketPath())) {
        List<Thread> callers = new ArrayList<>();
        List<Boolean> answers = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 4; i++) {
          Thread t = new Thread(() -> answers.add(qmp.supports("query-status")));
          t.start();
          callers.add(t);
        }
        // Every caller is blocked before any answer comes.
        for (Thread t : callers) {
          while (t.getState() != Thread.State.WAITING
              && t.getState() != Thread.State.TIMED_WAITING) {
            Thread.onSpinWait();
          }
        }
        synchronized (released) {
          released[0] = true;
        }
        // The requests that arrived while held are answered now.
        while (held.isEmpty()) {
          Thread.onSpinWait();
        }
        synchronized (held) {
          held.forEach(x -> x.returns("[{\"name\": \"query-status\"}]"));
        }
        for (Thread t : callers) {
          t.join();
        }
        assertThat(answers).containsExactly(true, true, true, true);
        assertThat(server.commandNames()).containsOnlyOnce("query-commands");
      }
    }
  }

  @Test
  void theFetchRunsWithinTheCallersTimeout() {
    try (FakeQmpServer server = FakeQmpServer.start()) {
      server.on("query-commands", (request, x) -> {}); // never answered
      try (QmpClient qmp =
          QmpClient.builder()
              .unixSocket(server.socketPath())
              .commandTimeout(Duration.ofSeconds(5))
              .connect()) {
        assertThatThrownBy(() -> qmp.execute(new QueryCpusFast(), Duration.ofMillis(300)))
            .isInstanceOfSatisfying(
                QmpTimeoutException.class,
                e -> assertThat(e.timeout()).isEqualTo(Duration.ofMillis(300)))
            .hasMessageContaining("query-commands");
        assertThat(server.commandNames()).doesNotContain("query-cpus-fast");
      }
    }
  }

  @Test
  void anErrorReplyIsRememberedAsNoListAndEveryCommandIsSent() {
    try (FakeQmpServer server = FakeQmpServer.start()) {
      server.on("query-commands", (request, x) -> x.error("GenericError", "not now"));
      server.on("query-cpus-fast", Responders.returns("[]"));
      try (QmpClient qmp = QmpClient.connect(server.socketPath())) {
        assertThat(qmp.execute(new QueryCpusFast())).isEmpty();
        assertThat(qmp.execute(new QueryCpusFast())).isEmpty();
        // Without a list nothing is known to be missing: QEMU decides.
        assertThat(qmp.supports(new QueryCpusFast())).isTrue();
        assertThat(qmp.supports("x-not-a-command")).isTrue();
        assertThat(server.commandNames()).containsOnlyOnce("query-commands");
      }
    }
  }

  @Test
  void aMalformedListIsTreatedAsNoList() {
    StringBuilder tooMany = new StringBuilder("[");
    for (int i = 0; i < 10_001; i++) {
      tooMany.append(i == 0 ? "" : ",").append("{\"name\": \"c").append(i).append("\"}");
    }
    tooMany.append("]");
    for (String reply :
        List.of(
            "{\"name\": \"query-status\"}",
            "[\"query-status\"]",
            "[{\"name\": \"query-status\"}, {\"name\": 7}]",
            "[{\"name\": \"query-status\"}, {}]",
            "[]",
            tooMany.toString())) {
      try (FakeQmpServer server = FakeQmpServer.start()) {
        server.on("query-commands", Responders.returns(reply));
        server.on("query-cpus-fast", Responders.returns("[]"));
        try (QmpClient qmp = QmpClient.connect(server.socketPath())) {
          assertThat(qmp.execute(new QueryCpusFast())).as(reply).isEmpty();
          assertThat(qmp.supports(new QueryCpusFast())).as(reply).isTrue();
          assertThat(server.commandNames()).as(reply).containsOnlyOnce("query-commands");
        }
      }
    }
  }
}

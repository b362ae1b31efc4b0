package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.qapi.machine.QueryCpusFast;
import io.github.qemucpr.qmp.qapi.runstate.QueryStatus;
import io.github.qemucpr.testing.FakeQmpServer;
import io.github.qemucpr.testing.Responders;
import java.time.Duration;
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
}

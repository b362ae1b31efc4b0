package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.qapi.machine.QueryCpusFast;
import io.github.qemucpr.qmp.qapi.runstate.QueryStatus;
import io.github.qemucpr.testing.FakeQmpServer;
import io.github.qemucpr.testing.Responders;
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
}

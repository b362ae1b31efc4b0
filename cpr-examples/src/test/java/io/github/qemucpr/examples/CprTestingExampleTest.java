package io.github.qemucpr.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.Cont;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.testing.FakeQmpServer;
import io.github.qemucpr.testing.Responders;
import org.junit.jupiter.api.Test;

/** The README's cpr-testing example, run: a manager's code tested against the fake monitor. */
class CprTestingExampleTest {

  /** The code under test: resume a paused VM. */
  private static void resumeIfPaused(QmpClient qmp) {
    if (qmp.execute(new QueryStatus()).status().equals(RunState.PAUSED)) {
      qmp.execute(new Cont());
    }
  }

  @Test
  void aPausedVmIsResumed() throws Exception {
    try (FakeQmpServer qemu = FakeQmpServer.start()) {
      qemu.on("query-status", Responders.returns("{\"status\": \"paused\", \"running\": false}"));
      qemu.on("cont", Responders.returns("{}"));
      try (QmpClient qmp = QmpClient.connect(qemu.socketPath())) {
        resumeIfPaused(qmp);
      }
      assertThat(qemu.takeRequest().command()).isEqualTo("qmp_capabilities");
      assertThat(qemu.takeRequest().command()).isEqualTo("query-status");
      assertThat(qemu.takeRequest().command()).isEqualTo("cont");
    }
  }

  @Test
  void aRunningVmIsLeftAlone() throws Exception {
    try (FakeQmpServer qemu = FakeQmpServer.start()) {
      qemu.on("query-status", Responders.returns("{\"status\": \"running\", \"running\": true}"));
      try (QmpClient qmp = QmpClient.connect(qemu.socketPath())) {
        resumeIfPaused(qmp);
      }
      assertThat(qemu.requests())
          .extracting(FakeQmpServer.Request::command)
          .containsExactly("qmp_capabilities", "query-status");
    }
  }
}

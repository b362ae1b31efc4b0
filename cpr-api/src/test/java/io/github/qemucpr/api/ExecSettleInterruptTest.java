package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprExecException.VmLocation;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.testing.FakeQemu;
import io.github.qemucpr.testing.Responders;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack: one interrupt of the workflow thread (the caller's Future.cancel(true)) during the
 * cpr-exec rollback's wait for "exec or failure" (ExecWorkflow.awaitExecOrFailure, after the cancel
 * step, outside any Rollback.step). The query-migrate it interrupts fails with a
 * QmpInterruptedException, which re-sets the flag; the loop then calls sleepQuietly, whose catch
 * swallows the InterruptedException without setting the flag again. The Rollback never sees the
 * interrupt: it is lost, and the caller's thread returns un-interrupted, though Rollback promises
 * to remember any interrupt during the rollback and set it again at the end.
 */
class ExecSettleInterruptTest {
  private final FakeQemu qemu = FakeQemu.start();
  private final QmpClient qmp;
  @TempDir Path dir;

  ExecSettleInterruptTest() {
    qemu.modes(List.of("normal", "cpr-reboot", "cpr-transfer", "cpr-exec"));
    qemu.addMemdev(FakeQemu.Memdev.memfd("ram0", 64L << 20));
    qmp = QmpClient.connect(qemu.socketPath());
  }

  @AfterEach
  void tearDown() {
    Thread.interrupted();
    qmp.close();
    qemu.close();
  }

  @Test
  @Timeout(60)
  void anInterruptDuringTheSettleWaitIsHandedBackToTheCaller() {
    Path state = dir.resolve("exec.state");
    Thread workflow = Thread.currentThread();
    AtomicBoolean once = new AtomicBoolean();
    qemu.server().enqueue("qom-get", Responders.returns("true"));
    qemu.migrateScript(FakeQemu.hangs());
    qemu.on(
        "query-migrate",
        (r, x) -> {
          if (qemu.migrationStatus().equals("cancelled") && once.compareAndSet(false, true)) {
            workflow.interrupt(); // e.g. Future.cancel(true) by the caller, once
            try {
              Thread.sleep(200);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          x.returns(qemu.migrationInfo());
        });

    CprExecException e =
        catchThrowableOfType(
            CprExecException.class,
            () ->
                CprExec.of(qmp)
                    .newCommand(
                        List.of(
                            "/bin/sh",
                            "-qmp",
                            "unix:" + qemu.server().socketPath() + ",server=on,wait=off"))
                    .stateFile(state)
                    .phaseTimeout(Duration.ofSeconds(2))
                    .run());
    boolean interrupted = Thread.interrupted();

    assertThat(e).isNotNull();
    assertThat(once).as("the settle wait asked query-migrate after the cancel").isTrue();
    assertThat(qemu.migrationStatus()).isEqualTo("cancelled");
    assertThat(e.vmLocation()).as(e.getMessage()).isEqualTo(VmLocation.OLD_QEMU);
    assertThat(qemu.mode()).as("cpr-exec mode left set").isEqualTo("normal");
    assertThat(qemu.fdsets()).as("fd set left in QEMU").isEmpty();
    assertThat(interrupted)
        .as("the interrupt is handed back to the caller: " + e.getMessage())
        .isTrue();
  }
}

package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprExecException.VmLocation;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.testing.FakeQemu;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One interrupt of the workflow thread (the caller's {@code Future.cancel(true)}) during the
 * cpr-exec rollback's wait for "exec or failure", outside any rollback step: the rollback goes on,
 * and the interrupt is handed back to the caller at the end. (Its sleep swallowed it before.)
 */
class ExecSettleInterruptTest {
  private final ExecFake fake = new ExecFake();
  private final FakeQemu qemu = fake.qemu;
  private final QmpClient qmp = fake.qmp;
  @TempDir Path dir;

  @AfterEach
  void tearDown() {
    Thread.interrupted();
    fake.close();
  }

  @Test
  @Timeout(60)
  void anInterruptDuringTheSettleWaitIsHandedBackToTheCaller() {
    Path state = dir.resolve("exec.state");
    Thread workflow = Thread.currentThread();
    AtomicBoolean once = new AtomicBoolean();
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
            () -> fake.exec(state).phaseTimeout(Duration.ofSeconds(2)).run());
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

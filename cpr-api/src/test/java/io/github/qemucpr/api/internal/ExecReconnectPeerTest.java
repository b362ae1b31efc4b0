package io.github.qemucpr.api.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprExecException;
import io.github.qemucpr.api.CprExecException.VmLocation;
import io.github.qemucpr.api.CprExecResult;
import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprProgressEvent;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.testing.FakeQemu;
import io.github.qemucpr.testing.Responders;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * After the exec, the monitor must be QEMU's own process: a peer whose process id is not known (no
 * peer credentials, or pid 0 from another pid namespace) proves nothing, and is dropped like one
 * with another pid. The kernel's peer credentials cannot be made empty on a real socket, so the
 * workflow reads them through a function here; the fake QEMU is real.
 */
@Timeout(60)
class ExecReconnectPeerTest {
  private static final Duration RECONNECT = Duration.ofSeconds(1);

  private final FakeQemu qemu = FakeQemu.start();
  private final QmpClient qmp;
  private final List<String> progress = new CopyOnWriteArrayList<>();
  @TempDir Path dir;

  ExecReconnectPeerTest() {
    qemu.modes(List.of("normal", "cpr-reboot", "cpr-transfer", "cpr-exec"));
    qemu.addMemdev(FakeQemu.Memdev.memfd("ram0", 64L << 20));
    qemu.migrateScript(
        (q, r, x) -> {
          q.startMigration(x);
          q.endMigration(x, "completed", null);
          q.mode("normal");
          q.runState("running");
          x.disconnect();
        });
    qmp = QmpClient.connect(qemu.socketPath());
  }

  @AfterEach
  void tearDown() {
    qmp.close();
    qemu.close();
  }

  private ExecOptions options() {
    qemu.server().enqueue("qom-get", Responders.returns("true"));
    return new ExecOptions(
        List.of("/bin/sh", "-qmp", "unix:" + qemu.socketPath() + ",server=on,wait=off"),
        dir.resolve("exec.state"),
        Duration.ofSeconds(30),
        Duration.ofSeconds(20),
        RECONNECT,
        null,
        true,
        (CprProgressEvent e) -> progress.add(e.message()));
  }

  /** The original connection's pid is real; each new one's is unknown while {@code hidden} says. */
  private Function<QmpClient, OptionalLong> pids(Function<Integer, Boolean> hidden) {
    AtomicInteger connections = new AtomicInteger();
    return c -> {
      if (c == qmp) {
        return c.peerProcessId();
      }
      return hidden.apply(connections.incrementAndGet()) ? OptionalLong.empty() : c.peerProcessId();
    };
  }

  @Test
  void aPeerWithoutAProcessIdIsDroppedAndTheWaitGoesOnToQemu() {
    CprExecResult r = ExecWorkflow.run(qmp, options(), pids(n -> n <= 3));

    try (QmpClient again = r.client()) {
      assertThat(r.runState()).isEqualTo(RunState.RUNNING);
      assertThat(again.peerProcessId()).hasValue(ProcessHandle.current().pid());
      assertThat(qemu.server().connections()).isEqualTo(5); // 1 + 3 dropped + QEMU's own
      assertThat(progress)
          .filteredOn(m -> m.startsWith("dropped the connection"))
          .singleElement()
          .satisfies(m -> assertThat(m).contains("process id", "not known"));
    }
  }

  @Test
  void onlyPeersWithoutAProcessIdUntilTheDeadlineIsAClearFailure() {
    // Unknown until the reconnect's deadline has passed; the rollback's own reconnect then finds
    // QEMU, and so the new QEMU that holds the VM.
    AtomicLong firstNew = new AtomicLong();
    Function<QmpClient, OptionalLong> pids =
        c -> {
          if (c == qmp) {
            return c.peerProcessId();
          }
          firstNew.compareAndSet(0, System.nanoTime());
          boolean hidden = System.nanoTime() - firstNew.get() < RECONNECT.plusMillis(300).toNanos();
          return hidden ? OptionalLong.empty() : c.peerProcessId();
        };
    long start = System.nanoTime();

    CprExecException e =
        catchThrowableOfType(CprExecException.class, () -> ExecWorkflow.run(qmp, options(), pids));

    assertThat(e).isNotNull();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(RECONNECT);
    assertThat(e.phase()).isEqualTo(CprPhase.CONNECT_TARGET);
    assertThat(e.getMessage())
        .contains(
            "whose process id is not known", "not QEMU (pid " + ProcessHandle.current().pid());
    assertThat(e.vmLocation()).as(e.getMessage()).isEqualTo(VmLocation.NEW_QEMU);
  }
}

package io.github.qemucpr.api.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.api.CprCheckpointException;
import io.github.qemucpr.api.CprCheckpointException.Reason;
import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprProgressEvent.Kind;
import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprRestoreResult;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.RunState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two restores of one checkpoint at once, into two QEMUs started with {@code -incoming defer} on
 * the same RAM file, as a user would start them from two shells. Exactly one may load it: the other
 * is refused before it touches its QEMU, which stays in {@code inmigrate}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ConcurrentRestoreIT extends FaultTest {

  /** What one of the two restores did: its result, or what it threw. */
  private record Outcome(int index, CprRestoreResult result, RuntimeException failure) {}

  @Test
  void exactlyOneOfTwoRestoresStartedTogetherLoadsTheCheckpoint() throws Exception {
    Path state = dir.resolve("vm.state");
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).build()) {
      try (QemuInstance source = vm.start();
          QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
        CprReboot.save(qmp).to(state).run();
        assertThat(source.awaitExit(Duration.ofSeconds(30))).isZero();
      }
      try (QemuInstance first = vm.startIncoming();
          QemuInstance second = vm.startIncoming();
          QmpClient qmp1 = QmpClient.connect(first.qmpSocket());
          QmpClient qmp2 = QmpClient.connect(second.qmpSocket())) {
        List<QmpClient> clients = List.of(qmp1, qmp2);
        // Both start together; then each waits, after its checks of the checkpoint and before it
        // changes its QEMU, until the other has got as far or has been refused: the widest
        // window a check-then-act guard leaves open.
        CyclicBarrier start = new CyclicBarrier(2);
        CountDownLatch checked = new CountDownLatch(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
          List<Future<Outcome>> futures = new ArrayList<>();
          for (int i = 0; i < 2; i++) {
            int index = i;
            futures.add(
                pool.submit(
                    () -> {
                      start.await(30, TimeUnit.SECONDS);
                      try {
                        return new Outcome(
                            index,
                            CprReboot.restore(clients.get(index))
                                .from(state)
                                .progressListener(
                                    on(
                                        CprPhase.PREPARE,
                                        Kind.STARTED,
                                        () -> {
                                          checked.countDown();
                                          awaitQuietly(checked);
                                        }))
                                .run(),
                            null);
                      } catch (RuntimeException e) {
                        checked.countDown();
                        return new Outcome(index, null, e);
                      }
                    }));
          }
          List<Outcome> outcomes = new ArrayList<>();
          for (Future<Outcome> f : futures) {
            outcomes.add(f.get(2, TimeUnit.MINUTES));
          }
          List<Outcome> loaded = outcomes.stream().filter(o -> o.result() != null).toList();
          List<Outcome> refused = outcomes.stream().filter(o -> o.failure() != null).toList();
          assertThat(loaded).as("restores that loaded the checkpoint: %s", outcomes).hasSize(1);
          assertThat(refused).hasSize(1);
          assertThat(loaded.get(0).result().runState()).isEqualTo(RunState.RUNNING);

          RuntimeException failure = refused.get(0).failure();
          assertThat(failure)
              .isInstanceOf(CprCheckpointException.class)
              .hasMessageContaining("another restore");
          assertThat(((CprCheckpointException) failure).reason())
              .isEqualTo(Reason.RESTORE_IN_PROGRESS);
          QmpClient loser = clients.get(refused.get(0).index());
          assertUntouchedIncoming(loser);
          assertThat(runState(clients.get(loaded.get(0).index()))).isEqualTo(RunState.RUNNING);
          assertThat(CprManifest.read(state).orElseThrow().restored()).isTrue();
        } finally {
          pool.shutdownNow();
          assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
      }
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

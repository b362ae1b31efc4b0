package io.github.qemucpr.api.internal;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpInterruptedException;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.command.RunStatus;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/** Reading the run state, including while QEMU is still settling after a migration ended. */
final class VmStatus {
  private static final long MAX_PAUSE_MILLIS = 10;

  private VmStatus() {}

  static RunState query(QmpClient qmp, Duration timeout) {
    return qmp.execute(new QueryStatus(), timeout).status();
  }

  /**
   * The run state once QEMU has left {@code finish-migrate}. QEMU emits the {@code MIGRATION} event
   * from the migration thread, and only afterwards, in the main loop, sets the run state that
   * follows ({@code postmigrate}, or back to what it was after a failure). Leaving {@code
   * finish-migrate} for {@code running} or {@code suspended} emits {@code RESUME}, which ends the
   * wait at once; the other transitions emit nothing, so the state is read again after 1, 2, 4, 8
   * and then every 10 ms, for at most {@code timeout}.
   */
  static RunState settled(QmpClient qmp, @Nullable MigrationWatcher watcher, Duration timeout) {
    return settled(qmp, watcher, timeout, null);
  }

  /**
   * As {@link #settled(QmpClient, MigrationWatcher, Duration)}, with the first read already sent
   * ({@code first}, when not null), so that it could share a round trip with another query.
   */
  static RunState settled(
      QmpClient qmp,
      @Nullable MigrationWatcher watcher,
      Duration timeout,
      @Nullable CompletableFuture<RunStatus> first) {
    long end = System.nanoTime() + timeout.toNanos();
    RunState state = first != null ? Pipelined.await(first).status() : query(qmp, timeout);
    long pauseMillis = 1;
    while (state.equals(RunState.FINISH_MIGRATE) && System.nanoTime() < end) {
      if (watcher != null && watcher.firstResume() == null) {
        watcher.awaitResume(Duration.ofMillis(pauseMillis));
      } else {
        try {
          Thread.sleep(pauseMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new QmpInterruptedException("interrupted while waiting for the run state", e);
        }
      }
      pauseMillis = Math.min(2 * pauseMillis, MAX_PAUSE_MILLIS);
      state = query(qmp, timeout);
    }
    return state;
  }
}

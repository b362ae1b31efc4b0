package io.github.qemucpr.api.internal;

import io.github.qemucpr.qmp.EventQueue;
import io.github.qemucpr.qmp.EventWait;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.QmpEventsLostException;
import io.github.qemucpr.qmp.QmpInterruptedException;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.command.MigrateCancel;
import io.github.qemucpr.qmp.command.MigrationInfo;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.event.MigrationEvent;
import io.github.qemucpr.qmp.event.ResumeEvent;
import io.github.qemucpr.qmp.event.StopEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Collects the {@code MIGRATION}, {@code STOP} and {@code RESUME} events from the moment it is
 * created, which must be before {@code migrate} or {@code migrate-incoming} is sent: QEMU may emit
 * {@code completed} before the command's reply arrives. Waiting blocks on the events themselves
 * (never a sleep), and ends when the connection closes, after the events QEMU sent before that.
 *
 * <p>It uses the client's event queue and event waits, never a listener: those are fed as each
 * event is read, so no flood of other events, and no user listener that stalls or throws, can make
 * it miss or wait for one.
 */
final class MigrationWatcher implements AutoCloseable {

  private final QmpClient qmp;
  private final EventQueue<MigrationEvent> migration;
  private final EventWait<StopEvent> stop;
  private final EventWait<ResumeEvent> resume;
  private final CompletableFuture<StopEvent> stopped;
  private final CompletableFuture<ResumeEvent> resumed;
  private volatile boolean eventsLost;

  MigrationWatcher(QmpClient qmp) {
    this.qmp = qmp;
    this.migration = qmp.openEventQueue(MigrationEvent.class);
    this.stop = qmp.expectEvent(StopEvent.class, e -> true);
    this.resume = qmp.expectEvent(ResumeEvent.class, e -> true);
    this.stopped = stop.future();
    this.resumed = resume.future();
  }

  /** When QEMU stopped the VM after this watcher started, or {@code null}. */
  @Nullable Instant firstStop() {
    StopEvent e = now(stopped);
    return e == null ? null : e.timestamp();
  }

  /** When QEMU resumed the VM after this watcher started, or {@code null}. */
  @Nullable Instant firstResume() {
    ResumeEvent e = now(resumed);
    return e == null ? null : e.timestamp();
  }

  /** The event if the wait has it, or {@code null} (not yet, or the connection closed first). */
  private static <E> @Nullable E now(CompletableFuture<E> wait) {
    return wait.isDone() && !wait.isCompletedExceptionally() ? wait.join() : null;
  }

  /**
   * Whether the {@code MIGRATION} events overflowed this watcher's queue (a flood from QEMU), as
   * found by a wait: it did not see them all, so the absence of a final status among them proves
   * nothing.
   */
  boolean eventsLost() {
    return eventsLost;
  }

  /** Waits up to {@code timeout} for a {@code RESUME}; returns whether one came. */
  boolean awaitResume(Duration timeout) {
    try {
      resumed.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException | CancellationException e) {
      return false; // the connection closed first
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QmpInterruptedException("interrupted while waiting for the VM to resume", e);
    }
  }

  /**
   * Waits for the next {@code MIGRATION} event with a final status (completed, failed, cancelled),
   * reporting the others to {@code onStatus}.
   *
   * @throws QmpTimeoutException if none comes within {@code timeout}
   * @throws QmpConnectionClosedException if the connection closes first
   * @throws QmpEventsLostException if QEMU sent more events than the queue holds before they were
   *     taken: which came after is not known (see {@link #eventsLost()})
   * @throws QmpInterruptedException if the thread is interrupted
   */
  MigrationEvent awaitFinished(Duration timeout, Consumer<MigrationEvent> onStatus) {
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = end - System.nanoTime();
      MigrationEvent event;
      try {
        event = left <= 0 ? migration.poll() : migration.take(Duration.ofNanos(left));
      } catch (QmpTimeoutException e) {
        event = null;
      } catch (QmpEventsLostException e) {
        eventsLost = true;
        throw e;
      } catch (QmpConnectionClosedException e) {
        Throwable cause = qmp.closeFuture().getNow(null);
        throw new QmpConnectionClosedException(
            "the connection to "
                + qmp.describePeer()
                + " closed while waiting for the migration"
                + " (did QEMU exit?)",
            cause != null ? cause : e);
      }
      if (event == null) {
        throw new QmpTimeoutException(
            "the migration did not end within "
                + timeout
                + " (no MIGRATION event completed,"
                + " failed or cancelled from "
                + qmp.describePeer()
                + ")",
            timeout);
      }
      if (event.status().isFinished()) {
        return event;
      }
      onStatus.accept(event);
    }
  }

  /**
   * Waits until the QEMU this watcher listens to has left {@code inmigrate}, as a new QEMU does
   * once its incoming migration is loaded: reads {@code query-status}, and while it says {@code
   * inmigrate}, {@code query-migrate} (a failed or cancelled load ends the wait), then waits for
   * {@code RESUME} at most {@code poll} before it reads again. Each run state read is given to
   * {@code onState}.
   *
   * @param what what the QEMU loads, for messages: "the state", "the VM"
   * @return the first run state other than {@code inmigrate}
   * @throws StepFailure if the load failed or was cancelled, or {@code deadline} expired first
   */
  RunState awaitIncomingDone(
      Deadline deadline,
      Duration commandTimeout,
      Duration poll,
      String what,
      Consumer<RunState> onState) {
    while (true) {
      RunState state = VmStatus.query(qmp, commandTimeout);
      onState.accept(state);
      if (!state.equals(RunState.INMIGRATE)) {
        return state;
      }
      MigrationInfo info = qmp.execute(new QueryMigrate(), commandTimeout);
      if (info.status().equals(MigrationStatus.FAILED)
          || info.status().equals(MigrationStatus.CANCELLED)) {
        throw new StepFailure(
            "the new QEMU could not load "
                + what
                + ": its incoming migration "
                + info.status()
                + (info.errorDesc() != null ? ": " + info.errorDesc() : ""),
            info.errorDesc(),
            null);
      }
      if (deadline.expired()) {
        throw new StepFailure(
            "the new QEMU did not load "
                + what
                + " within "
                + deadline.describe()
                + " (run state inmigrate, incoming migration "
                + info.status()
                + ")",
            null,
            null);
      }
      awaitResume(poll);
    }
  }

  /**
   * Cancels the migration if {@code query-migrate} says it is still active, and waits until it has
   * ended: on {@code watcher}'s events when there is one (it must have been created before the
   * migration started), up to {@code cancelTimeout}.
   *
   * @throws StepFailure if the migration is still active after the wait
   */
  static void cancelIfActive(
      QmpClient qmp,
      @Nullable MigrationWatcher watcher,
      Duration commandTimeout,
      Duration cancelTimeout) {
    MigrationInfo info = qmp.execute(new QueryMigrate(), commandTimeout);
    if (!info.status().isActive()) {
      return;
    }
    qmp.execute(new MigrateCancel(), commandTimeout);
    if (watcher != null) {
      try {
        watcher.awaitFinished(cancelTimeout, e -> {});
      } catch (QmpTimeoutException e) {
        MigrationInfo now = qmp.execute(new QueryMigrate(), commandTimeout);
        if (now.status().isActive()) {
          throw new StepFailure(
              "the migration is still " + now.status() + " after migrate_cancel", null, e);
        }
      }
    }
  }

  @Override
  public void close() {
    migration.close();
    stop.close();
    resume.close();
  }
}

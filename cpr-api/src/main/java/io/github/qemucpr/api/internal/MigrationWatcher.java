package io.github.qemucpr.api.internal;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.QmpInterruptedException;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.Subscription;
import io.github.qemucpr.qmp.command.MigrateCancel;
import io.github.qemucpr.qmp.command.MigrationInfo;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.event.MigrationEvent;
import io.github.qemucpr.qmp.event.QmpEvent;
import io.github.qemucpr.qmp.event.ResumeEvent;
import io.github.qemucpr.qmp.event.StopEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Collects the {@code MIGRATION}, {@code STOP} and {@code RESUME} events from the moment it is
 * created, which must be before {@code migrate} or {@code migrate-incoming} is sent: QEMU may emit
 * {@code completed} before the command's reply arrives. Waiting blocks on the events themselves
 * (never a sleep), and ends early when the connection closes.
 */
final class MigrationWatcher implements AutoCloseable {
  private static final Object CLOSED = new Object();
  private static final Duration CLOSE_GRACE = Duration.ofMillis(300);

  private final QmpClient qmp;
  private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final Subscription subscription;
  private final CompletableFuture<Instant> resumed = new CompletableFuture<>();
  private volatile @Nullable Instant firstStop;

  MigrationWatcher(QmpClient qmp) {
    this.qmp = qmp;
    this.subscription = qmp.subscribe(this::onEvent);
    qmp.closeFuture().whenComplete((cause, error) -> queue.add(CLOSED));
  }

  private void onEvent(QmpEvent event) {
    if (event instanceof MigrationEvent) {
      queue.add(event);
    } else if (event instanceof StopEvent && firstStop == null) {
      firstStop = event.timestamp();
    } else if (event instanceof ResumeEvent) {
      resumed.complete(event.timestamp());
    }
  }

  /** When QEMU stopped the VM after this watcher started, or {@code null}. */
  @Nullable Instant firstStop() {
    return firstStop;
  }

  /** When QEMU resumed the VM after this watcher started, or {@code null}. */
  @Nullable Instant firstResume() {
    return resumed.getNow(null);
  }

  /** Waits up to {@code timeout} for a {@code RESUME}; returns whether one came. */
  boolean awaitResume(Duration timeout) {
    try {
      resumed.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QmpInterruptedException("interrupted while waiting for the VM to resume", e);
    }
  }

  /**
   * Waits for the next {@code MIGRATION} event with a final status (completed, failed,
   * cancelled), reporting the others to {@code onStatus}.
   *
   * @throws QmpTimeoutException if none comes within {@code timeout}
   * @throws QmpConnectionClosedException if the connection closes first
   * @throws QmpInterruptedException if the thread is interrupted
   */
  MigrationEvent awaitFinished(Duration timeout, Consumer<MigrationEvent> onStatus) {
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = end - System.nanoTime();
      Object item;
      try {
        item = left <= 0 ? queue.poll() : queue.poll(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new QmpInterruptedException("interrupted while waiting for the migration to end", e);
      }
      if (item == null) {
        throw new QmpTimeoutException(
            "the migration did not end within " + timeout + " (no MIGRATION event completed,"
                + " failed or cancelled from " + qmp.describePeer() + ")",
            timeout);
      }
      if (item == CLOSED) {
        // Events are delivered on the client's event thread, the close on its reader thread:
        // a final MIGRATION event QEMU sent just before it went away may still be on its way.
        MigrationEvent late = drainAfterClose();
        if (late != null) {
          return late;
        }
        queue.add(CLOSED);
        Throwable cause = qmp.closeFuture().getNow(null);
        throw new QmpConnectionClosedException(
            "the connection to " + qmp.describePeer() + " closed while waiting for the migration"
                + " (did QEMU exit?)",
            cause);
      }
      MigrationEvent event = (MigrationEvent) item;
      if (event.status().isFinished()) {
        return event;
      }
      onStatus.accept(event);
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
      QmpClient qmp, @Nullable MigrationWatcher watcher, Duration commandTimeout,
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
          throw new StepFailure("the migration is still " + now.status() + " after migrate_cancel",
              null, e);
        }
      }
    }
  }

  private @Nullable MigrationEvent drainAfterClose() {
    long end = System.nanoTime() + CLOSE_GRACE.toNanos();
    while (true) {
      long left = end - System.nanoTime();
      Object item;
      try {
        item = left <= 0 ? queue.poll() : queue.poll(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
      if (item == null) {
        return null;
      }
      if (item instanceof MigrationEvent && ((MigrationEvent) item).status().isFinished()) {
        return (MigrationEvent) item;
      }
    }
  }

  @Override
  public void close() {
    subscription.close();
  }
}

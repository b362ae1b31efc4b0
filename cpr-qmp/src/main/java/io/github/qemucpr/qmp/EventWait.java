package io.github.qemucpr.qmp;

import io.github.qemucpr.qmp.event.QmpEvent;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A wait for one event, registered <em>before</em> the action that causes it, so that the event
 * cannot slip through between the action and the wait, and so that no event from before the
 * registration can match.
 *
 * <pre>{@code
 * try (EventWait<MigrationEvent> done =
 *     qmp.expectEvent(MigrationEvent.class, e -> e.status().isFinal())) {
 *   qmp.execute(Migrate.toFile(path));
 *   MigrationEvent end = done.await(Duration.ofMinutes(5));
 * }
 * }</pre>
 *
 * @param <E> the event type
 */
public interface EventWait<E extends QmpEvent> extends AutoCloseable {

  /**
   * Waits for the first matching event that arrived after registration.
   *
   * @throws QmpTimeoutException if none arrives within {@code timeout}
   * @throws QmpConnectionClosedException if the connection closes first
   * @throws QmpInterruptedException if the thread is interrupted
   */
  E await(Duration timeout);

  /**
   * The same wait as a future; it completes with the event or fails with {@link
   * QmpConnectionClosedException}. It never times out by itself. It completes on the thread that
   * reads from QEMU: a dependent stage attached without an executor runs there, and a slow one
   * delays every reply and event after it.
   */
  CompletableFuture<E> future();

  /** Cancels the wait if it is still open. Idempotent. */
  @Override
  void close();
}

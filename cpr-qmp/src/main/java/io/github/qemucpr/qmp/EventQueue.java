package io.github.qemucpr.qmp;

import io.github.qemucpr.qmp.event.QmpEvent;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Every event of one type from the moment the queue was opened, in the order QEMU sent them, for a
 * caller that must see each one, such as every {@code MIGRATION} status of a migration it waits
 * for. Unlike a {@link QmpEventListener}, the queue is fed on the thread that reads from QEMU, as
 * the event arrives: a slow or failing listener never delays it, and it loses nothing while the
 * client is open.
 *
 * <pre>{@code
 * try (EventQueue<MigrationEvent> migration = qmp.openEventQueue(MigrationEvent.class)) {
 *   qmp.execute(migrate);
 *   MigrationEvent e;
 *   do {
 *     e = migration.take(Duration.ofMinutes(5));
 *     System.out.println(e.status());
 *   } while (!e.status().isFinished());
 * }
 * }</pre>
 *
 * <p>It holds at most {@link #CAPACITY} events, or {@link #CAPACITY_BYTES} of them (counted as
 * decoded, and always one, however large), that were not taken yet. Past that it stops taking
 * events, rather than fill the heap, and {@link #take(Duration)} throws {@link
 * QmpEventsLostException} once the events it holds were taken: it never skips one silently. Open it
 * for the event types you take, and close it when done. Thread-safe; meant for one consumer.
 *
 * @param <E> the event type
 */
public interface EventQueue<E extends QmpEvent> extends AutoCloseable {

  /** The most events a queue holds that were not taken yet. */
  int CAPACITY = 1024;

  /**
   * The most bytes of events a queue holds that were not taken yet, but one. An event counts for at
   * most what it can hold of the heap once decoded, whatever its JSON: twice the length of its JSON
   * text (for the characters of its strings) plus 128 bytes for each JSON token (for the objects of
   * its tree; a tree of small values is up to 30 times its text).
   */
  long CAPACITY_BYTES = 4L * 1024 * 1024;

  /**
   * The next event, waiting up to {@code timeout} for one.
   *
   * @throws QmpTimeoutException if none arrives in time
   * @throws QmpConnectionClosedException once the connection closed and every event that came
   *     before was taken
   * @throws QmpEventsLostException once the queue overflowed and every event it held was taken
   * @throws QmpInterruptedException if the thread is interrupted
   * @throws IllegalStateException if the queue was closed
   */
  E take(Duration timeout);

  /**
   * The next event if one is queued, or {@code null}.
   *
   * @throws QmpConnectionClosedException once the connection closed and every event that came
   *     before was taken
   * @throws QmpEventsLostException once the queue overflowed and every event it held was taken
   * @throws IllegalStateException if the queue was closed
   */
  @Nullable E poll();

  /** Stops the queue and drops the events it holds. Idempotent. */
  @Override
  void close();
}

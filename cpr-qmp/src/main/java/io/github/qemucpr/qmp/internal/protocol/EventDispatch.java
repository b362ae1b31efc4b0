package io.github.qemucpr.qmp.internal.protocol;

import io.github.qemucpr.qmp.EventWait;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.QmpEventListener;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.QmpInterruptedException;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.Subscription;
import io.github.qemucpr.qmp.event.QmpEvent;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The event side of a {@link QmpConnection}: the listeners, the {@link EventWait} waiters with
 * their sequence numbers, and the event thread that runs both in arrival order behind a queue
 * bounded in events and in bytes. When listeners fall too far behind, events are dropped for them
 * but still offered to the waiters. Logs through the {@code QmpConnection} logger.
 */
final class EventDispatch {

  private static final System.Logger LOG = System.getLogger(QmpConnection.class.getName());

  /**
   * How far listeners may fall behind, in events and in bytes of JSON, before further events are
   * dropped for them: a flood from QEMU must not fill the heap while a listener is slow.
   */
  static final int MAX_QUEUED_EVENTS = 10_000;

  static final long MAX_QUEUED_EVENT_BYTES = 64L * 1024 * 1024;

  private final String peer;
  private final Supplier<@Nullable QmpConnectionClosedException> closed;
  private final CopyOnWriteArrayList<QmpEventListener> listeners = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<Waiter<?>> waiters = new CopyOnWriteArrayList<>();
  private final AtomicLong eventsReceived = new AtomicLong();
  private final AtomicLong queuedEventBytes = new AtomicLong();
  private final AtomicLong eventsDropped = new AtomicLong();
  private final ExecutorService eventThread;

  /**
   * @param closed why the connection closed, or null while it is open
   * @param threads makes the event thread
   */
  EventDispatch(
      String peer,
      Supplier<@Nullable QmpConnectionClosedException> closed,
      ThreadFactory threads,
      @Nullable QmpEventListener initialListener) {
    this.peer = peer;
    this.closed = closed;
    this.eventThread =
        new ThreadPoolExecutor(
            1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(MAX_QUEUED_EVENTS), threads);
    if (initialListener != null) {
      listeners.add(initialListener);
    }
  }

  Subscription subscribe(QmpEventListener listener) {
    Objects.requireNonNull(listener, "listener");
    listeners.add(listener);
    AtomicBoolean done = new AtomicBoolean();
    return () -> {
      if (done.compareAndSet(false, true)) {
        listeners.remove(listener);
      }
    };
  }

  <E extends QmpEvent> EventWait<E> expectEvent(Class<E> type, Predicate<? super E> predicate) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(predicate, "predicate");
    Waiter<E> waiter = new Waiter<>(type, predicate, eventsReceived.get());
    waiters.add(waiter);
    waiter.future.whenComplete((e, t) -> waiters.remove(waiter));
    QmpConnectionClosedException gone = closed.get();
    if (gone != null) {
      waiter.future.completeExceptionally(gone);
    }
    return waiter;
  }

  /**
   * Numbers an event the reader decoded and queues it for the event thread, or, when the queue is
   * full, drops it for the listeners and offers it to the waiters here on the reader thread.
   *
   * @param size the length of the event's JSON line, counted against the byte bound
   */
  void accept(QmpEvent event, long size) {
    long sequence = eventsReceived.incrementAndGet();
    if (queuedEventBytes.addAndGet(size) <= Math.max(MAX_QUEUED_EVENT_BYTES, size)) {
      try {
        eventThread.execute(
            () -> {
              queuedEventBytes.addAndGet(-size);
              dispatchEvent(sequence, event);
            });
        return;
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // full, or closed: handled below
      }
    }
    queuedEventBytes.addAndGet(-size);
    if (closed.get() != null) {
      LOG.log(System.Logger.Level.DEBUG, "event {0} arrived after close", event.name());
      return;
    }
    // The listeners are too far behind: they lose this event. Waits still see it, here on the
    // reader thread, since a lost MIGRATION or SUSPEND event would fail a whole save.
    long dropped = eventsDropped.incrementAndGet();
    if (dropped == 1 || dropped % 10_000 == 0) {
      LOG.log(
          System.Logger.Level.WARNING,
          "QEMU at {0} sends events faster than the event listeners take them: {1} events"
              + " dropped for the listeners so far (the latest {2}); event waits still see them",
          peer,
          dropped,
          event.name());
    }
    for (Waiter<?> waiter : waiters) {
      waiter.offer(sequence, event);
    }
  }

  private void dispatchEvent(long sequence, QmpEvent event) {
    for (Waiter<?> waiter : waiters) {
      waiter.offer(sequence, event);
    }
    for (QmpEventListener listener : listeners) {
      try {
        listener.onEvent(event);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "event listener failed on " + event.name(), e);
      }
    }
  }

  /**
   * Called once the connection is marked closed: events already queued are still delivered, then
   * the waiters still open fail with {@code reason}, and the event thread ends.
   */
  void shutdown(QmpConnectionClosedException reason) {
    try {
      eventThread.execute(() -> failWaiters(reason));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      failWaiters(reason);
    }
    eventThread.shutdown();
  }

  private void failWaiters(QmpConnectionClosedException reason) {
    for (Waiter<?> waiter : waiters) {
      waiter.future.completeExceptionally(reason);
    }
  }

  /** A registered {@link EventWait}. */
  private final class Waiter<E extends QmpEvent> implements EventWait<E> {
    final Class<E> type;
    final Predicate<? super E> predicate;
    final long registeredAfter;
    final CompletableFuture<E> future = new CompletableFuture<>();

    Waiter(Class<E> type, Predicate<? super E> predicate, long registeredAfter) {
      this.type = type;
      this.predicate = predicate;
      this.registeredAfter = registeredAfter;
    }

    void offer(long sequence, QmpEvent event) {
      if (sequence <= registeredAfter || future.isDone() || !type.isInstance(event)) {
        return;
      }
      E typed = type.cast(event);
      try {
        if (predicate.test(typed)) {
          future.complete(typed);
        }
      } catch (RuntimeException e) {
        future.completeExceptionally(e);
      }
    }

    @Override
    public E await(Duration timeout) {
      QmpConnection.checkTimeout(timeout);
      try {
        return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        throw new QmpTimeoutException(
            "no matching " + type.getSimpleName() + " from " + peer + " within "
                + timeout.toMillis() + " ms",
            timeout);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new QmpInterruptedException(
            "interrupted while waiting for " + type.getSimpleName(), e);
      } catch (ExecutionException e) {
        throw QmpConnection.rethrow(e.getCause());
      } catch (CancellationException e) {
        throw new QmpException("the wait for " + type.getSimpleName() + " was closed", e);
      }
    }

    @Override
    public CompletableFuture<E> future() {
      return future.copy();
    }

    @Override
    public void close() {
      future.cancel(false);
      waiters.remove(this);
    }
  }
}

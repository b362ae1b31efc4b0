package io.github.qemucpr.qmp.internal.protocol;

import io.github.qemucpr.qmp.EventQueue;
import io.github.qemucpr.qmp.EventWait;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.QmpEventListener;
import io.github.qemucpr.qmp.QmpEventsLostException;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.QmpInterruptedException;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.Subscription;
import io.github.qemucpr.qmp.event.QmpEvent;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The event side of a {@link QmpConnection}, in two parts that never wait for each other.
 *
 * <p>Waits ({@link EventWait}) and {@link EventQueue}s are served on the reader thread, as each
 * event arrives and in arrival order: nothing a listener does can delay them or make them miss an
 * event. A wait or a queue is registered under the same lock under which the reader takes the waits
 * and queues an event goes to, so that it sees exactly the events read after its registration.
 *
 * <p>Listeners run on the event thread, behind a queue bounded in events and in bytes; when they
 * fall too far behind, further events are dropped for them, with a counted warning. Whatever a
 * listener throws is logged, and the other listeners still get the event. Logs through the {@code
 * QmpConnection} logger.
 */
final class EventDispatch {

  private static final System.Logger LOG = System.getLogger(QmpConnection.class.getName());

  /**
   * How far listeners may fall behind, in events and in bytes, before further events are dropped
   * for them: a flood from QEMU must not fill the heap while a listener is slow. The bytes are what
   * the decoded events may hold of the heap ({@link
   * io.github.qemucpr.qmp.internal.wire.JsonCodec.Parsed#heapBound}), not the length of their JSON:
   * a tree of small values is many times larger than its text.
   */
  static final int MAX_QUEUED_EVENTS = 4096;

  static final long MAX_QUEUED_EVENT_BYTES = 4L * 1024 * 1024;

  private final String peer;
  private final Supplier<@Nullable QmpConnectionClosedException> closed;
  private final CopyOnWriteArrayList<QmpEventListener> listeners = new CopyOnWriteArrayList<>();

  /** Held to register a wait or a queue, and by the reader to take those an event goes to. */
  private final Object registry = new Object();

  private final CopyOnWriteArrayList<Waiter<?>> waiters = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<Queue<?>> queues = new CopyOnWriteArrayList<>();
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
    Waiter<E> waiter = new Waiter<>(type, predicate);
    synchronized (registry) {
      waiters.add(waiter);
    }
    waiter.future.whenComplete((e, t) -> waiters.remove(waiter));
    // After the registration: a close that came first has set this before it failed the waiters.
    QmpConnectionClosedException gone = closed.get();
    if (gone != null) {
      waiter.future.completeExceptionally(gone);
    }
    return waiter;
  }

  <E extends QmpEvent> EventQueue<E> openEventQueue(Class<E> type) {
    Objects.requireNonNull(type, "type");
    Queue<E> queue = new Queue<>(type);
    synchronized (registry) {
      queues.add(queue);
    }
    QmpConnectionClosedException gone = closed.get();
    if (gone != null) {
      queue.end(gone);
    }
    return queue;
  }

  /**
   * Hands an event the reader decoded to the waits and queues, here on the reader thread, then to
   * the listeners through the event thread, or drops it for them when they are too far behind.
   *
   * @param size at most what the decoded event holds of the heap, counted against the byte bounds
   */
  void accept(QmpEvent event, long size) {
    Iterator<Waiter<?>> toWaiters;
    Iterator<Queue<?>> toQueues;
    synchronized (registry) {
      // Snapshots: a wait registered after this point does not see this event, one registered
      // before it does.
      toWaiters = waiters.iterator();
      toQueues = queues.iterator();
    }
    while (toWaiters.hasNext()) {
      toWaiters.next().offer(event);
    }
    while (toQueues.hasNext()) {
      toQueues.next().offer(event, size);
    }
    if (listeners.isEmpty()) {
      return; // nothing to queue: a flood with no listener holds no memory
    }
    if (queuedEventBytes.addAndGet(size) <= Math.max(MAX_QUEUED_EVENT_BYTES, size)) {
      try {
        eventThread.execute(
            () -> {
              queuedEventBytes.addAndGet(-size);
              dispatchEvent(event);
            });
        return;
      } catch (RejectedExecutionException e) {
        // full, or closed: handled below
      }
    }
    queuedEventBytes.addAndGet(-size);
    if (closed.get() != null) {
      LOG.log(System.Logger.Level.DEBUG, "event {0} arrived after close", event.name());
      return;
    }
    long dropped = eventsDropped.incrementAndGet();
    if (dropped == 1 || dropped % 10_000 == 0) {
      LOG.log(
          System.Logger.Level.WARNING,
          "QEMU at {0} sends events faster than the event listeners take them: {1} events"
              + " dropped for the listeners so far (the latest {2}); event waits and event"
              + " queues still see them",
          peer,
          dropped,
          event.name());
    }
  }

  private void dispatchEvent(QmpEvent event) {
    for (QmpEventListener listener : listeners) {
      try {
        listener.onEvent(event);
      } catch (Throwable e) {
        // A listener is the user's code: whatever it throws, an Error too, must not take the
        // event from the listeners after it, nor the event thread from those to come.
        logListenerFailure(listener, event, e);
      }
    }
  }

  /**
   * Logs what a listener threw. Nothing here may throw in turn: the listener's own {@code
   * toString()} is the user's code too, and the heap may be exhausted.
   */
  private static void logListenerFailure(
      QmpEventListener listener, QmpEvent event, Throwable failure) {
    try {
      LOG.log(
          failure instanceof Error ? System.Logger.Level.ERROR : System.Logger.Level.WARNING,
          "event listener " + describe(listener) + " failed on " + event.name(),
          failure);
    } catch (Throwable e) {
      // Nothing left to tell it with; the next listener still gets the event.
    }
  }

  /** The listener's {@code toString()}, or its class if that throws. */
  private static String describe(QmpEventListener listener) {
    try {
      return String.valueOf(listener);
    } catch (RuntimeException | LinkageError | StackOverflowError e) {
      return listener.getClass().getName() + " (its toString() failed: " + e + ")";
    }
  }

  /**
   * Called once the connection is marked closed: open waits fail with {@code reason}, queues end
   * after the events they hold, events already queued for the listeners are still delivered, and
   * the event thread ends.
   */
  void shutdown(QmpConnectionClosedException reason) {
    for (Waiter<?> waiter : waiters) {
      waiter.future.completeExceptionally(reason);
    }
    for (Queue<?> queue : queues) {
      queue.end(reason);
    }
    eventThread.shutdown();
  }

  private static QmpConnectionClosedException closedFor(
      String what, QmpConnectionClosedException reason) {
    return new QmpConnectionClosedException(
        what + " failed: " + reason.getMessage(),
        reason.getCause() != null ? reason.getCause() : reason);
  }

  /** A registered {@link EventWait}. */
  private final class Waiter<E extends QmpEvent> implements EventWait<E> {
    final Class<E> type;
    final Predicate<? super E> predicate;
    final CompletableFuture<E> future = new CompletableFuture<>();

    Waiter(Class<E> type, Predicate<? super E> predicate) {
      this.type = type;
      this.predicate = predicate;
    }

    /** On the reader thread. */
    void offer(QmpEvent event) {
      if (future.isDone() || !type.isInstance(event)) {
        return;
      }
      E typed = type.cast(event);
      try {
        if (predicate.test(typed)) {
          future.complete(typed);
        }
      } catch (Throwable e) {
        future.completeExceptionally(e); // the caller's predicate: its own failure, not ours
      }
    }

    @Override
    public E await(Duration timeout) {
      QmpConnection.checkTimeout(timeout);
      try {
        return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        throw new QmpTimeoutException(
            "no matching "
                + type.getSimpleName()
                + " from "
                + peer
                + " within "
                + timeout.toMillis()
                + " ms",
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

  /** An {@link EventQueue}: fed on the reader thread, taken from by its consumer. */
  private final class Queue<E extends QmpEvent> implements EventQueue<E> {
    private final Class<E> type;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();

    /** Guarded by {@link #lock}: the events not taken yet, each with its size. */
    private final ArrayDeque<Sized<E>> events = new ArrayDeque<>();

    /** Guarded by {@link #lock}. */
    private long bytes;

    /** Guarded by {@link #lock}: why no more events come, once the queue holds no more. */
    private @Nullable QmpConnectionClosedException closedBy;

    /** Guarded by {@link #lock}: how far behind the queue was when it stopped taking events. */
    private @Nullable String lost;

    /** Guarded by {@link #lock}. */
    private boolean closedByCaller;

    Queue(Class<E> type) {
      this.type = type;
    }

    /** On the reader thread. */
    void offer(QmpEvent event, long size) {
      if (!type.isInstance(event)) {
        return;
      }
      lock.lock();
      try {
        if (closedBy != null || lost != null || closedByCaller) {
          return;
        }
        if (!events.isEmpty() && (events.size() >= CAPACITY || bytes + size > CAPACITY_BYTES)) {
          lost =
              "an event queue for "
                  + type.getSimpleName()
                  + " from "
                  + peer
                  + " held "
                  + events.size()
                  + " events ("
                  + bytes
                  + " bytes) not taken yet, its limit, and"
                  + " stopped taking more at "
                  + event.name()
                  + "; ask QEMU for the state instead";
          queues.remove(this);
          arrived.signalAll();
          LOG.log(System.Logger.Level.WARNING, lost);
          return;
        }
        events.addLast(new Sized<>(type.cast(event), size));
        bytes += size;
        arrived.signalAll();
      } finally {
        lock.unlock();
      }
    }

    void end(QmpConnectionClosedException reason) {
      lock.lock();
      try {
        if (closedBy == null) {
          closedBy = reason;
        }
        arrived.signalAll();
      } finally {
        lock.unlock();
      }
    }

    @Override
    public E take(Duration timeout) {
      QmpConnection.checkTimeout(timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      lock.lock();
      try {
        while (true) {
          E next = nextLocked();
          if (next != null) {
            return next;
          }
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new QmpTimeoutException(
                "no "
                    + type.getSimpleName()
                    + " from "
                    + peer
                    + " within "
                    + timeout.toMillis()
                    + " ms",
                timeout);
          }
          arrived.awaitNanos(left);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new QmpInterruptedException(
            "interrupted while waiting for " + type.getSimpleName(), e);
      } finally {
        lock.unlock();
      }
    }

    @Override
    public @Nullable E poll() {
      lock.lock();
      try {
        return nextLocked();
      } finally {
        lock.unlock();
      }
    }

    /** The next event, or null if none is queued yet; throws once none will ever come. */
    private @Nullable E nextLocked() {
      if (closedByCaller) {
        throw new IllegalStateException("this event queue was closed");
      }
      Sized<E> next = events.pollFirst();
      if (next != null) {
        bytes -= next.size();
        return next.event();
      }
      if (lost != null) {
        throw new QmpEventsLostException(lost);
      }
      QmpConnectionClosedException reason = closedBy;
      if (reason != null) {
        throw closedFor("waiting for " + type.getSimpleName(), reason);
      }
      return null;
    }

    @Override
    public void close() {
      lock.lock();
      try {
        closedByCaller = true;
        events.clear();
        bytes = 0;
        arrived.signalAll();
      } finally {
        lock.unlock();
      }
      queues.remove(this);
    }
  }

  private record Sized<E>(E event, long size) {}
}

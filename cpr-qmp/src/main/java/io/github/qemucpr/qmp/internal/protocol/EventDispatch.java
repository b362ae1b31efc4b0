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
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
 * <p>Listeners run behind a queue bounded in events and in bytes; when they fall too far behind,
 * further events are dropped for them, with a counted warning. Whatever a listener throws is
 * logged, and the other listeners still get the event. Logs through the {@code QmpConnection}
 * logger.
 *
 * <p>The listeners of a connection run one event at a time, in arrival order, on a thread of a pool
 * that all connections in the JVM share, and only while events wait for them: an idle connection
 * holds no thread for its listeners. The pool has no bound on its threads, so that a listener that
 * blocks holds up its own connection's events and no other's; its threads end a few seconds after
 * their last event. At most one pool thread drains a connection's queue at a time, which keeps the
 * order.
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

  private static final AtomicInteger LISTENER_THREADS = new AtomicInteger();

  /** Runs the listeners of every connection; a thread per connection with events to deliver. */
  private static final ThreadPoolExecutor LISTENERS =
      new ThreadPoolExecutor(
          0,
          Integer.MAX_VALUE,
          2,
          TimeUnit.SECONDS,
          new SynchronousQueue<>(),
          r -> {
            Thread t = new Thread(r, "cpr-qmp-listeners-" + LISTENER_THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
          });

  private final String peer;
  private final Supplier<@Nullable QmpConnectionClosedException> closed;
  private final CopyOnWriteArrayList<QmpEventListener> listeners = new CopyOnWriteArrayList<>();

  /** Held to register a wait or a queue, and by the reader to take those an event goes to. */
  private final Object registry = new Object();

  private final CopyOnWriteArrayList<Waiter<?>> waiters = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<Queue<?>> queues = new CopyOnWriteArrayList<>();
  private final AtomicLong queuedEventBytes = new AtomicLong();
  private final AtomicLong eventsDropped = new AtomicLong();

  /** Guards the events for the listeners and whether a pool thread delivers them. */
  private final ReentrantLock delivery = new ReentrantLock();

  private final Condition delivered = delivery.newCondition();

  /**
   * Guarded by {@link #delivery}: the events not yet given to the listeners, each with its size.
   */
  private final ArrayDeque<Sized<QmpEvent>> forListeners = new ArrayDeque<>();

  /** Guarded by {@link #delivery}: the pool thread that delivers them, or null when none does. */
  private @Nullable Thread deliverer;

  /** Guarded by {@link #delivery}: a pool thread was asked to deliver and has not stopped yet. */
  private boolean delivering;

  /** Guarded by {@link #delivery}: set at close; no event is queued for the listeners after it. */
  private boolean shutDown;

  /**
   * @param closed why the connection closed, or null while it is open
   */
  EventDispatch(
      String peer,
      Supplier<@Nullable QmpConnectionClosedException> closed,
      @Nullable QmpEventListener initialListener) {
    this.peer = peer;
    this.closed = closed;
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
   * the listeners through the pool, or drops it for them when they are too far behind.
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
    if (queuedEventBytes.addAndGet(size) <= Math.max(MAX_QUEUED_EVENT_BYTES, size)
        && queueForListeners(event, size)) {
      return;
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

  /**
   * Queues an event for the listeners and has a pool thread deliver it unless one does already.
   *
   * @return false if it was not queued: the queue is full, or the connection closed
   */
  private boolean queueForListeners(QmpEvent event, long size) {
    delivery.lock();
    try {
      if (shutDown || forListeners.size() >= MAX_QUEUED_EVENTS) {
        return false;
      }
      forListeners.addLast(new Sized<>(event, size));
      if (delivering) {
        return true;
      }
      delivering = true;
    } finally {
      delivery.unlock();
    }
    startDelivery();
    return true;
  }

  private void startDelivery() {
    try {
      LISTENERS.execute(this::deliver);
    } catch (RejectedExecutionException | OutOfMemoryError e) {
      // No thread could be started (the process is at its limit): the events stay queued, and
      // the next one tries again.
      delivery.lock();
      try {
        delivering = false;
        delivered.signalAll();
      } finally {
        delivery.unlock();
      }
      LOG.log(
          System.Logger.Level.WARNING,
          "no thread to run the event listeners of {0}: {1}; events wait for the next",
          peer,
          e);
    }
  }

  /** On a pool thread: gives the queued events to the listeners, in order, until none is left. */
  private void deliver() {
    boolean done = false;
    try {
      while (true) {
        Sized<QmpEvent> next;
        delivery.lock();
        try {
          next = forListeners.pollFirst();
          if (next == null) {
            deliverer = null;
            delivering = false;
            delivered.signalAll();
            done = true;
            return;
          }
          deliverer = Thread.currentThread();
        } finally {
          delivery.unlock();
        }
        queuedEventBytes.addAndGet(-next.size());
        dispatchEvent(next.event());
      }
    } finally {
      if (!done) {
        // Only an Error that even the guards in dispatchEvent let through comes here: let another
        // pool thread take over the rest, so that the connection's listeners do not stop for good.
        boolean again;
        delivery.lock();
        try {
          deliverer = null;
          again = !forListeners.isEmpty();
          delivering = again;
          delivered.signalAll();
        } finally {
          delivery.unlock();
        }
        if (again) {
          startDelivery();
        }
      }
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
   * after the events they hold, and events already queued for the listeners are still delivered;
   * none is queued after this.
   */
  void shutdown(QmpConnectionClosedException reason) {
    delivery.lock();
    try {
      shutDown = true;
    } finally {
      delivery.unlock();
    }
    for (Waiter<?> waiter : waiters) {
      waiter.future.completeExceptionally(reason);
    }
    for (Queue<?> queue : queues) {
      queue.end(reason);
    }
  }

  /**
   * Waits until the listeners have had the events queued for them, or until {@code deadline}
   * ({@link System#nanoTime()}); at once when called from a listener, which would wait for itself.
   */
  void awaitDelivered(long deadline) throws InterruptedException {
    delivery.lock();
    try {
      while (delivering && deliverer != Thread.currentThread()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return;
        }
        delivered.awaitNanos(left);
      }
    } finally {
      delivery.unlock();
    }
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
      timeout = QmpConnection.checkTimeout(timeout);
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
      timeout = QmpConnection.checkTimeout(timeout);
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

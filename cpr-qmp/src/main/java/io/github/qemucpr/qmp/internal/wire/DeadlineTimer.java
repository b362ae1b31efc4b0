package io.github.qemucpr.qmp.internal.wire;

import java.time.Duration;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * A timer for deadlines that are almost always cancelled before they are due: the timeout of a
 * command, the limit of a write. One daemon thread runs the tasks that come due, and exists only
 * while some deadline waits (and {@code idle} after the last one left).
 *
 * <p>Adding a deadline wakes that thread only when the deadline falls before the time the thread
 * will wake at anyway, and cancelling one never wakes it. The JDK's {@code
 * ScheduledThreadPoolExecutor} wakes its thread whenever a new task heads its queue, which for a
 * client that sends one command at a time is every command: two thread switches per call (the
 * command's deadline and its write's), on machines where the reader thread, the caller and QEMU
 * already share the cores. Here a thread that sleeps until the earliest deadline is left alone by
 * the later ones, and when it wakes at a deadline cancelled since, it just sleeps on until the
 * next.
 *
 * <p>A task runs on the timer thread, so it must be short (close a socket, hand work to another
 * thread); what it throws is dropped, and the timer goes on.
 */
public final class DeadlineTimer {

  /** Longer deadlines are taken as this long: 50 years is for ever for a command. */
  private static final long MAX_DELAY_NANOS = TimeUnit.DAYS.toNanos(365L * 50);

  /** The origin of the timer's clock, so that due times compare as plain longs. */
  private static final long ORIGIN = System.nanoTime();

  /** How long the thread pauses after an Error outside a task, so as not to spin on it. */
  private static final long RETRY_AFTER_ERROR_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private static final Runnable NOTHING = () -> {};

  static {
    // Resolves LockSupport for this class now, while the heap has room: its first use from the
    // timer thread would otherwise ask the class loader for it, which allocates, and on the
    // exhausted heap the pause below is for, fails.
    LockSupport.parkNanos(0);
  }

  private final String threadName;
  private final long idleNanos;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final TreeSet<Entry> queue = new TreeSet<>();
  private long sequence;
  private @Nullable Thread thread;

  /** While the thread waits: when it wakes by itself; a deadline before that must wake it. */
  private long wakeAt;

  private boolean waiting;

  /** How often the thread woke from a wait, for tests: a later deadline must not wake it. */
  private long wakeups;

  /**
   * @param threadName the name of the timer's thread
   * @param idle how long the thread stays once no deadline waits
   */
  public DeadlineTimer(String threadName, Duration idle) {
    this.threadName = threadName;
    this.idleNanos = idle.toNanos();
  }

  /** A deadline, which {@link #cancel()} takes off the timer. */
  public interface Deadline {
    /** Takes the deadline off the timer unless its task has started; idempotent. */
    void cancel();
  }

  /**
   * Runs {@code task} on the timer's thread once {@code after} has passed, unless the deadline is
   * cancelled first. A negative delay is taken as zero.
   *
   * @throws OutOfMemoryError if the timer had no thread and none could be started; the deadline is
   *     not kept, so nothing waits for a task that would never run
   */
  public Deadline schedule(Runnable task, Duration after) {
    long delay;
    try {
      delay = Math.min(Math.max(0, after.toNanos()), MAX_DELAY_NANOS);
    } catch (ArithmeticException e) {
      delay = after.isNegative() ? 0 : MAX_DELAY_NANOS;
    }
    lock.lock();
    try {
      Entry entry = new Entry(now() + delay, sequence++, task);
      queue.add(entry);
      if (thread == null) {
        Thread t;
        try {
          t = new Thread(this::run, threadName);
          t.setDaemon(true);
          t.start();
        } catch (OutOfMemoryError e) {
          queue.remove(entry);
          throw e;
        }
        thread = t;
      } else if (waiting && entry.due < wakeAt) {
        changed.signal();
      }
      return entry;
    } finally {
      lock.unlock();
    }
  }

  /** How many times the thread has woken from a wait, for tests. */
  public long wakeups() {
    lock.lock();
    try {
      return wakeups;
    } finally {
      lock.unlock();
    }
  }

  /** How many deadlines wait, for tests: a cancelled one must not stay. */
  public int queued() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  private void run() {
    while (true) {
      try {
        if (runUntilIdle()) {
          return;
        }
      } catch (Throwable e) {
        // An Error outside a task: the heap exhausted under the thread's own bookkeeping (a JDK 17
        // Condition.awaitNanos allocates a node, a contended lock() may too). The thread must not
        // die of it: 'thread' still names it, so no schedule would start another, and no deadline
        // of the JVM would ever fire again. It pauses without allocating, and looks again.
      }
      LockSupport.parkNanos(RETRY_AFTER_ERROR_NANOS);
    }
  }

  /**
   * Runs the tasks that come due until no deadline waited for {@code idle}, then gives up the
   * timer's thread and returns true; throws only an Error met outside a task.
   */
  private boolean runUntilIdle() {
    long idleSince = now();
    lock.lock();
    try {
      while (true) {
        long now = now();
        Entry head = queue.isEmpty() ? null : queue.first();
        if (head == null) {
          if (now - idleSince >= idleNanos) {
            thread = null;
            return true;
          }
          await(now, idleSince + idleNanos);
          continue;
        }
        idleSince = now;
        if (head.due > now) {
          await(now, head.due);
          continue;
        }
        queue.pollFirst();
        head.started = true;
        lock.unlock();
        try {
          head.task.run();
        } catch (Throwable e) {
          // A task that fails must not take the timer, and every later deadline, with it.
        } finally {
          lock.lock();
        }
        idleSince = now();
      }
    } finally {
      if (lock.isHeldByCurrentThread()) { // not when the lock() after a task threw
        lock.unlock();
      }
    }
  }

  private void await(long now, long until) {
    wakeAt = until;
    waiting = true;
    try {
      changed.awaitNanos(until - now);
    } catch (InterruptedException e) {
      // Nothing interrupts the timer's own thread on purpose; it looks at the queue again.
    } finally {
      waiting = false;
      wakeups++;
    }
  }

  private static long now() {
    return System.nanoTime() - ORIGIN;
  }

  private final class Entry implements Deadline, Comparable<Entry> {
    final long due;
    final long order;

    /**
     * What runs when due; dropped under the lock by {@link #cancel()}, so that a cancelled deadline
     * keeps nothing of its caller's reachable: not from a handle the caller still holds, nor from
     * the timer thread, which may hold the entry it sleeps on until that wakes it.
     */
    Runnable task;

    /** Set under the lock when the task is taken off to run. */
    boolean started;

    Entry(long due, long order, Runnable task) {
      this.due = due;
      this.order = order;
      this.task = task;
    }

    @Override
    public void cancel() {
      lock.lock();
      try {
        if (!started) {
          queue.remove(this);
          task = NOTHING;
        }
      } finally {
        lock.unlock();
      }
    }

    @Override
    public int compareTo(Entry other) {
      int byDue = Long.compare(due, other.due);
      return byDue != 0 ? byDue : Long.compare(order, other.order);
    }
  }
}

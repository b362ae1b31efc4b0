package io.github.qemucpr.qmp.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attacks on {@link DeadlineTimer}: races with the idle exit, interrupts, failing and re-entrant
 * tasks, and what a cancelled deadline leaves behind.
 */
@Timeout(120)
class DeadlineTimerAttackTest {

  private static final Duration HOUR = Duration.ofHours(1);

  /**
   * A cancelled deadline must not keep its task (for a command: the call, its future, its reply)
   * reachable. The thread sleeping on the head of the queue kept the head in a local variable for
   * the whole sleep, so a cancelled command with a long timeout was held until its due time.
   */
  @Test
  void aCancelledDeadlineTheThreadSleepsOnDoesNotKeepItsTask() throws Exception {
    DeadlineTimer timer = new DeadlineTimer("atk-timer-retain", Duration.ofSeconds(1));
    WeakReference<Object> payload = scheduleAndCancel(timer, "atk-timer-retain");
    assertThat(timer.queued()).isZero();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (payload.get() != null && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(20);
    }
    assertThat(payload.get()).as("what the cancelled deadline's task held was collected").isNull();
  }

  private static WeakReference<Object> scheduleAndCancel(DeadlineTimer timer, String name)
      throws InterruptedException {
    Object held = new byte[1 << 20];
    WeakReference<Object> ref = new WeakReference<>(held);
    DeadlineTimer.Deadline d = timer.schedule(() -> held.hashCode(), HOUR);
    awaitWaiting(name);
    d.cancel();
    return ref;
  }

  /** Interrupting the timer thread, while it sleeps or runs a task, loses no deadline. */
  @Test
  void interruptsOfTheTimerThreadLoseNoDeadline() throws Exception {
    DeadlineTimer timer = new DeadlineTimer("atk-timer-interrupt", Duration.ofSeconds(1));
    timer.schedule(() -> {}, HOUR);
    awaitWaiting("atk-timer-interrupt");
    Thread timerThread = thread("atk-timer-interrupt");
    int n = 200;
    CountDownLatch fired = new CountDownLatch(n);
    for (int i = 0; i < n; i++) {
      timerThread.interrupt();
      timer.schedule(
          () -> {
            Thread.currentThread().interrupt(); // a task that leaves the flag set
            fired.countDown();
          },
          Duration.ofMillis(i % 7));
      timerThread.interrupt();
    }
    assertThat(fired.await(30, TimeUnit.SECONDS)).as("every deadline ran").isTrue();
  }

  /**
   * With no idle time, the thread leaves whenever the queue empties: deadlines scheduled from many
   * threads at once, while it leaves, must each still run.
   */
  @Test
  void deadlinesScheduledFromManyThreadsWhileTheThreadLeavesAllRun() throws Exception {
    DeadlineTimer timer = new DeadlineTimer("atk-timer-idle0", Duration.ZERO);
    int threads = 8;
    int perThread = 2_000;
    CountDownLatch fired = new CountDownLatch(threads * perThread);
    AtomicInteger cancelledRan = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> work = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        work.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < perThread; i++) {
                    timer.schedule(
                        fired::countDown, i % 3 == 0 ? Duration.ZERO : Duration.ofNanos(i));
                    timer.schedule(cancelledRan::incrementAndGet, HOUR).cancel();
                    if (i % 100 == 0) {
                      Thread.yield();
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : work) {
        f.get(60, TimeUnit.SECONDS);
      }
      assertThat(fired.await(30, TimeUnit.SECONDS))
          .as("deadlines run: %d left", fired.getCount())
          .isTrue();
    } finally {
      pool.shutdownNow();
    }
    assertThat(timer.queued()).isZero();
    assertThat(cancelledRan).as("deadlines cancelled before they were due ran").hasValue(0);
  }

  /**
   * A task may schedule and cancel on its own timer, and a task that throws an {@link Error} (stack
   * overflow, out of memory) stops no other deadline.
   */
  @Test
  void reentrantAndFailingTasksStopNoOtherDeadline() throws Exception {
    DeadlineTimer timer = new DeadlineTimer("atk-timer-reentrant", Duration.ofMillis(20));
    CountDownLatch chained = new CountDownLatch(1);
    AtomicBoolean cancelledRan = new AtomicBoolean();
    timer.schedule(
        () -> {
          timer.schedule(() -> cancelledRan.set(true), Duration.ofMillis(1)).cancel();
          timer.schedule(chained::countDown, Duration.ZERO);
        },
        Duration.ofMillis(5));
    timer.schedule(
        () -> {
          throw new StackOverflowError("a task that overflows");
        },
        Duration.ofMillis(1));
    timer.schedule(
        () -> {
          throw new OutOfMemoryError("a task that runs out of memory");
        },
        Duration.ofMillis(2));
    assertThat(chained.await(30, TimeUnit.SECONDS)).isTrue();
    CountDownLatch after = new CountDownLatch(1);
    timer.schedule(after::countDown, Duration.ofMillis(1));
    assertThat(after.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(cancelledRan).isFalse();
  }

  /** A cancel racing with the firing either wins (the task never runs) or loses (it runs once). */
  @Test
  void aCancelRacingTheFiringRunsTheTaskAtMostOnce() throws Exception {
    DeadlineTimer timer = new DeadlineTimer("atk-timer-race", Duration.ofSeconds(1));
    int n = 5_000;
    AtomicInteger[] runs = new AtomicInteger[n];
    CountDownLatch settled = new CountDownLatch(1);
    for (int i = 0; i < n; i++) {
      AtomicInteger r = new AtomicInteger();
      runs[i] = r;
      timer.schedule(r::incrementAndGet, Duration.ofNanos(i * 200L)).cancel();
    }
    timer.schedule(settled::countDown, Duration.ofMillis(50));
    assertThat(settled.await(30, TimeUnit.SECONDS)).isTrue();
    for (AtomicInteger r : runs) {
      assertThat(r.get()).isBetween(0, 1);
    }
    assertThat(timer.queued()).isZero();
  }

  private static Thread thread(String name) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals(name) && t.isAlive())
        .findFirst()
        .orElseThrow();
  }

  /** Waits until the timer thread by this name has gone to sleep. */
  private static void awaitWaiting(String name) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      for (Thread t : Thread.getAllStackTraces().keySet()) {
        if (t.getName().equals(name) && t.getState() == Thread.State.TIMED_WAITING) {
          return;
        }
      }
      Thread.sleep(5);
    }
    throw new AssertionError("the timer thread never went to sleep");
  }
}

package io.github.qemucpr.qmp.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The timer under every command's deadline and every write's limit: deadlines fire, cancelled ones
 * leave and never fire, and deadlines that come after the one the thread sleeps on do not wake it.
 */
@Timeout(60)
class DeadlineTimerTest {

  private static final Duration HOUR = Duration.ofHours(1);

  @Test
  void aDeadlineRunsItsTaskOnTheTimersThreadOnceDue() throws Exception {
    DeadlineTimer timer = new DeadlineTimer("test-timer", Duration.ofSeconds(1));
    CompletableFuture<String> ranOn = new CompletableFuture<>();
    timer.schedule(() -> ranOn.complete(Thread.currentThread().getName()), Duration.ofMillis(5));
    assertThat(ranOn.get(10, TimeUnit.SECONDS)).isEqualTo("test-timer");
    assertThat(timer.queued()).isZero();
  }

  @Test
  void aCancelledDeadlineLeavesTheQueueAndNeverRuns() throws Exception {
    DeadlineTimer timer = new DeadlineTimer("test-timer", Duration.ofSeconds(1));
    AtomicBoolean ran = new AtomicBoolean();
    DeadlineTimer.Deadline cancelled = timer.schedule(() -> ran.set(true), Duration.ofMillis(20));
    cancelled.cancel();
    assertThat(timer.queued()).isZero();
    CountDownLatch later = new CountDownLatch(1);
    timer.schedule(later::countDown, Duration.ofMillis(40));
    assertThat(later.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(ran).as("the cancelled task ran").isFalse();
  }

  @Test
  void deadlinesLaterThanTheOneTheThreadSleepsOnDoNotWakeIt() throws Exception {
    DeadlineTimer timer = new DeadlineTimer("test-timer-later", Duration.ofSeconds(1));
    timer.schedule(() -> {}, HOUR);
    awaitWaiting("test-timer-later");
    long before = timer.wakeups();
    // What a client sending one command at a time does: a deadline per call, cancelled on reply.
    for (int i = 0; i < 1000; i++) {
      timer.schedule(() -> {}, HOUR.plusSeconds(1)).cancel();
    }
    assertThat(timer.wakeups() - before)
        .as("wake-ups of the timer thread for 1000 later deadlines (spurious ones aside)")
        .isLessThan(5);
    assertThat(timer.queued()).isEqualTo(1);
  }

  @Test
  void anEarlierDeadlineWakesTheThreadSleepingOnALaterOne() throws Exception {
    DeadlineTimer timer = new DeadlineTimer("test-timer-earlier", Duration.ofSeconds(1));
    timer.schedule(() -> {}, HOUR);
    awaitWaiting("test-timer-earlier");
    CountDownLatch early = new CountDownLatch(1);
    timer.schedule(early::countDown, Duration.ofMillis(10));
    assertThat(early.await(30, TimeUnit.SECONDS))
        .as("a 10 ms deadline ran while the thread slept on an hour")
        .isTrue();
  }

  @Test
  void tasksRunInTheOrderOfTheirDeadlinesAndOneThatThrowsStopsNoOther() throws Exception {
    DeadlineTimer timer = new DeadlineTimer("test-timer", Duration.ofSeconds(1));
    List<Integer> order = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    // A first task holds the timer's thread until every other one is queued, so that none can come
    // due and run before an earlier one is even scheduled, however slowly this thread goes.
    CountDownLatch gateRunning = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    timer.schedule(
        () -> {
          gateRunning.countDown();
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        },
        Duration.ZERO);
    assertThat(gateRunning.await(10, TimeUnit.SECONDS)).isTrue();
    Runnable third =
        () -> {
          synchronized (order) {
            order.add(3);
          }
          done.countDown();
        };
    Runnable failing =
        () -> {
          throw new IllegalStateException("a failing task");
        };
    Runnable first =
        () -> {
          synchronized (order) {
            order.add(1);
          }
        };
    Runnable second =
        () -> {
          synchronized (order) {
            order.add(2);
          }
        };
    timer.schedule(third, Duration.ofMillis(40));
    timer.schedule(failing, Duration.ofMillis(20));
    timer.schedule(first, Duration.ofMillis(10));
    timer.schedule(second, Duration.ofMillis(30));
    release.countDown();
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    synchronized (order) {
      assertThat(order).containsExactly(1, 2, 3);
    }
  }

  @Test
  void theThreadLeavesWhenIdleAndComesBackWithTheNextDeadline() throws Exception {
    DeadlineTimer timer = new DeadlineTimer("test-timer-idle", Duration.ofMillis(50));
    CountDownLatch first = new CountDownLatch(1);
    timer.schedule(first::countDown, Duration.ZERO);
    assertThat(first.await(10, TimeUnit.SECONDS)).isTrue();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (threadAlive("test-timer-idle") && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(threadAlive("test-timer-idle")).as("the idle timer thread is gone").isFalse();
    CountDownLatch second = new CountDownLatch(1);
    timer.schedule(second::countDown, Duration.ofMillis(1));
    assertThat(second.await(10, TimeUnit.SECONDS)).as("a deadline after the idle end ran").isTrue();
  }

  @Test
  void anyLengthIsAccepted() throws Exception {
    DeadlineTimer timer = new DeadlineTimer("test-timer", Duration.ofSeconds(1));
    DeadlineTimer.Deadline forever = timer.schedule(() -> {}, Duration.ofSeconds(Long.MAX_VALUE));
    CountDownLatch past = new CountDownLatch(1);
    timer.schedule(past::countDown, Duration.ofSeconds(-5));
    assertThat(past.await(10, TimeUnit.SECONDS)).as("a deadline already past runs").isTrue();
    assertThat(timer.queued()).isEqualTo(1);
    forever.cancel();
    assertThat(timer.queued()).isZero();
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

  private static boolean threadAlive(String name) {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getName().equals(name) && t.isAlive());
  }
}

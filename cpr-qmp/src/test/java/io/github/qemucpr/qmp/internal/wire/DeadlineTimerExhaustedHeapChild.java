package io.github.qemucpr.qmp.internal.wire;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The JVM of {@link DeadlineTimerExhaustedHeapTest}: a timer sleeps on a deadline an hour away, and
 * one 3 s away wakes it while the heap is full to the last bytes, so that its next wait cannot
 * allocate (a JDK 17 {@code Condition.awaitNanos} allocates a node). Then the child lets go of the
 * memory and prints whether a new 10 ms deadline still ran.
 *
 * <p>Run with {@code -Xmx32m -XX:+UseSerialGC -XX:-UseTLAB}.
 */
public final class DeadlineTimerExhaustedHeapChild {

  private DeadlineTimerExhaustedHeapChild() {}

  private static final Runnable NOTHING = () -> {};

  /** The memory the child holds, as a chain of arrays, so that adding one never grows a list. */
  private static Object[] hog;

  public static void main(String[] args) throws Exception {
    DeadlineTimer timer = new DeadlineTimer("child-timer", Duration.ofSeconds(1));
    long start = System.nanoTime();
    timer.schedule(NOTHING, Duration.ofHours(1));
    timer.schedule(NOTHING, Duration.ofSeconds(3));
    fill();
    long filled = System.nanoTime();
    Thread.sleep(6_000); // the timer wakes at 3 s, on the exhausted heap
    hog = null;
    System.gc();
    System.out.println("RESULT filledBeforeWake=" + (filled - start < TimeUnit.SECONDS.toNanos(3)));
    CountDownLatch fired = new CountDownLatch(1);
    timer.schedule(fired::countDown, Duration.ofMillis(10));
    System.out.println("RESULT fired=" + fired.await(20, TimeUnit.SECONDS));
    System.out.flush();
    System.exit(0);
  }

  private static void fill() {
    int size = 1 << 20;
    while (size >= 8) {
      try {
        hog = new Object[] {hog, new byte[size]};
      } catch (OutOfMemoryError e) {
        size /= 2;
      }
    }
  }
}

package io.github.qemucpr.qmp.internal.protocol;

import io.github.qemucpr.qmp.internal.wire.DeadlineTimer;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one deadline timer of every {@link QmpConnection} in the JVM, instead of a timer thread per
 * client: a host that holds a client per VM holds hundreds of them, mostly idle.
 *
 * <p>The timer is one daemon thread, {@code cpr-qmp-deadlines}, that exists only while some call
 * waits for its reply (and a second after), like the write watchdog of {@link
 * io.github.qemucpr.qmp.internal.wire.LineChannel}. A cancelled deadline leaves its queue at once.
 *
 * <p>The timer thread never runs an expiry itself, only hands it over: an expiry completes the
 * caller's future, and a future runs the dependent stages the caller attached to it on the thread
 * that completes it. On the shared timer, one caller's slow stage would hold up the deadlines of
 * every client. So expiries run on daemon threads ({@code cpr-qmp-timeouts-N}) that exist only
 * while expiries run (and a few seconds after): a slow stage holds up its own thread and nothing
 * else.
 */
final class Deadlines {

  private static final AtomicInteger EXPIRY_THREADS = new AtomicInteger();

  private static final DeadlineTimer TIMER =
      new DeadlineTimer("cpr-qmp-deadlines", Duration.ofSeconds(1));

  private static final ThreadPoolExecutor EXPIRIES =
      new ThreadPoolExecutor(
          0,
          Integer.MAX_VALUE,
          5,
          TimeUnit.SECONDS,
          new SynchronousQueue<>(),
          r -> daemon(r, "cpr-qmp-timeouts-" + EXPIRY_THREADS.incrementAndGet()));

  private Deadlines() {}

  /**
   * Runs {@code expiry} once {@code after} has passed, unless the returned future is cancelled
   * first. It runs on an expiry thread, never on the timer thread.
   */
  static DeadlineTimer.Deadline schedule(Runnable expiry, Duration after) {
    return TIMER.schedule(() -> handOver(expiry), after);
  }

  /** How many deadlines wait on the timer, for tests: a cancelled one must not stay. */
  static int queued() {
    return TIMER.queued();
  }

  private static void handOver(Runnable expiry) {
    try {
      EXPIRIES.execute(expiry);
    } catch (RejectedExecutionException | OutOfMemoryError e) {
      // No thread could be started (the process is at its limit): a deadline that never fires
      // would leave its caller waiting for ever, so it runs here, at the cost of the others.
      expiry.run();
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}

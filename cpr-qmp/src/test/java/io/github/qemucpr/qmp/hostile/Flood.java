package io.github.qemucpr.qmp.hostile;

import io.github.qemucpr.testing.FakeQmpServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Sends STOP events through a {@link FakeQmpServer} at a steady rate, from its own thread. */
final class Flood {
  private static final int BATCH = 100;

  private final Thread thread;
  private volatile boolean stopped;
  private volatile int sent;

  private Flood(FakeQmpServer server, int perSecond, Duration duration) {
    long total = perSecond * duration.toMillis() / 1000;
    long batchNanos = TimeUnit.SECONDS.toNanos(1) * BATCH / perSecond;
    this.thread =
        new Thread(
            () -> {
              long start = System.nanoTime();
              long next = start;
              while (sent < total && !stopped) {
                StringBuilder batch = new StringBuilder(BATCH * 100);
                for (int i = 0; i < BATCH; i++) {
                  batch
                      .append("{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1795735760,")
                      .append(" \"microseconds\": ")
                      .append(sent + i)
                      .append("}}\n");
                }
                server.sendBytes(batch.toString().getBytes(StandardCharsets.UTF_8));
                sent += BATCH;
                next += batchNanos;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                  try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              }
            },
            "flood");
    thread.setDaemon(true);
  }

  /** Starts sending {@code perSecond} events a second for {@code duration}. */
  static Flood start(FakeQmpServer server, int perSecond, Duration duration) {
    Flood flood = new Flood(server, perSecond, duration);
    flood.thread.start();
    return flood;
  }

  boolean done() {
    return !thread.isAlive();
  }

  /** Waits for the flood to end and returns how many events it sent. */
  int await() throws InterruptedException {
    thread.join(TimeUnit.SECONDS.toMillis(30));
    return sent;
  }

  /** Stops the flood before its end, waits for its thread, and returns how many events it sent. */
  int stop() throws InterruptedException {
    stopped = true;
    return await();
  }
}

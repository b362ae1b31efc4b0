package io.github.qemucpr.qmp.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** Checks that no client thread outlives its client, allowing a short grace for pool workers. */
public final class HostileThreads {
  private HostileThreads() {}

  /** Fails if a live thread's name starts with {@code prefix} three seconds from now. */
  public static void assertNoneLeft(String prefix) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    List<String> alive;
    do {
      alive =
          Thread.getAllStackTraces().keySet().stream()
              .filter(Thread::isAlive)
              .map(Thread::getName)
              .filter(n -> n.startsWith(prefix))
              .toList();
      if (alive.isEmpty()) {
        return;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    } while (System.nanoTime() < deadline);
    assertThat(alive).as("client threads left behind").isEmpty();
  }
}

package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;

/** Checks that no client thread outlives its client. */
final class ThreadLeaks {
  private ThreadLeaks() {}

  static void assertNoClientThreads() {
    long deadline = System.nanoTime() + 3_000_000_000L;
    List<String> alive;
    do {
      alive =
          Thread.getAllStackTraces().keySet().stream()
              .filter(Thread::isAlive)
              .map(Thread::getName)
              .filter(n -> n.startsWith("qmp-"))
              .collect(Collectors.toList());
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
    assertThat(alive).as("client threads still alive").isEmpty();
  }
}

package io.github.qemucpr.qmp.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.QomGet;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.testing.QemuProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** Many threads share one client, each checking that every reply it gets is its own. */
class ConcurrencyIT {
  private static final int THREADS = 32;
  private static final int CALLS = 200;

  @Test
  void thirtyTwoThreadsEachGetTheirOwnReplies() throws Exception {
    try (QemuProcess qemu = QemuProcess.builder().name("concurrency-it").start();
        QmpClient qmp = qemu.connect()) {
      // One object per thread, each with a size only that thread expects back.
      for (int t = 0; t < THREADS; t++) {
        ObjectNode args = JsonNodeFactory.instance.objectNode();
        args.put("qom-type", "memory-backend-ram");
        args.put("id", "m" + t);
        args.put("size", expectedSize(t));
        qmp.execute("object-add", args);
      }

      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      try {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          int thread = t;
          results.add(
              pool.submit(
                  () -> {
                    start.await();
                    QomGet.As<Long> mine = new QomGet("/objects/m" + thread, "size").as(Long.class);
                    int ok = 0;
                    for (int i = 0; i < CALLS; i++) {
                      if (i % 10 == 9) {
                        // A different reply type in the mix: a misrouted reply would not decode.
                        assertThat(qmp.execute(new QueryStatus()).status())
                            .isEqualTo(RunState.RUNNING);
                      } else {
                        assertThat(qmp.execute(mine))
                            .as("thread %d call %d", thread, i)
                            .isEqualTo(expectedSize(thread));
                      }
                      ok++;
                    }
                    return ok;
                  }));
        }
        start.countDown();
        int total = 0;
        for (Future<Integer> r : results) {
          total += r.get(60, TimeUnit.SECONDS);
        }
        assertThat(total).isEqualTo(THREADS * CALLS);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  private static long expectedSize(int thread) {
    return (thread + 1L) << 20;
  }
}

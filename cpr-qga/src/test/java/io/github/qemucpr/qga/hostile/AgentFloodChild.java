package io.github.qemucpr.qga.hostile;

import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.GuestAgentException;
import io.github.qemucpr.qmp.hostile.FloodProbe;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client side of {@link AgentFloodTest}, run in a JVM of its own with a 64 MiB heap: connects
 * to the flooding agent, pings it once, says READY, then sits idle ({@code idle}) or runs commands
 * all the time ({@code busy}) until told STOP, and then runs one more command, which must work.
 *
 * <p>Arguments: the agent's socket, {@code idle} or {@code busy}.
 */
public final class AgentFloodChild {

  private AgentFloodChild() {}

  public static void main(String[] args) throws Exception {
    Path socket = Path.of(args[0]);
    boolean busy = args[1].equals("busy");
    FloodProbe probe = FloodProbe.start();
    AtomicLong commandsOk = new AtomicLong();
    Map<String, AtomicLong> commandsFailed = new ConcurrentHashMap<>();
    try (GuestAgentClient qga =
        GuestAgentClient.builder()
            .unixSocket(socket)
            .syncTimeout(Duration.ofSeconds(2))
            .commandTimeout(Duration.ofSeconds(2))
            .name("flooded")
            .connect()) {
      qga.ping();
      probe.say("READY");
      Thread worker = null;
      if (busy) {
        worker =
            new Thread(
                () -> {
                  while (!Thread.currentThread().isInterrupted()) {
                    try {
                      qga.ping();
                      commandsOk.incrementAndGet();
                    } catch (GuestAgentException e) {
                      // Expected under the flood: a timeout, a line that is too large.
                      commandsFailed
                          .computeIfAbsent(e.getClass().getSimpleName(), k -> new AtomicLong())
                          .incrementAndGet();
                      if (Thread.currentThread().isInterrupted()) {
                        return;
                      }
                    } catch (Throwable e) {
                      probe.failure("a command during the flood", e);
                      return;
                    }
                  }
                },
                "busy-commands");
        worker.start();
      }
      if (!probe.awaitLine("STOP")) {
        probe.failure("stdin", new IllegalStateException("ended before STOP"));
      }
      if (worker != null) {
        worker.interrupt();
        worker.join(30_000);
      }
      long start = System.nanoTime();
      String after;
      try {
        qga.ping();
        after = "ok";
      } catch (Throwable e) {
        after = e.toString();
      }
      probe.result("commandAfterFlood", after);
      probe.result("commandAfterFloodMillis", (System.nanoTime() - start) / 1_000_000);
      probe.result("clientOpen", qga.isOpen());
      probe.result("commandsOkDuringFlood", commandsOk.get());
      probe.result("commandsFailedDuringFlood", commandsFailed);
    }
    probe.report();
    System.exit(0);
  }
}

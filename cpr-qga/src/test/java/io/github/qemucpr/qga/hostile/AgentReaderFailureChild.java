package io.github.qemucpr.qga.hostile;

import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qmp.hostile.FloodProbe;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The client side of {@link AgentReaderFailureTest}, run in a JVM whose heap is too small for the
 * message limit it sets: asks for the host name, which the agent answers with a line larger than
 * the heap, and reports how the call and the client ended.
 *
 * <p>Arguments: the agent's socket.
 */
public final class AgentReaderFailureChild {

  private AgentReaderFailureChild() {}

  public static void main(String[] args) throws Exception {
    FloodProbe probe = FloodProbe.start();
    try (GuestAgentClient qga =
        GuestAgentClient.builder()
            .unixSocket(Path.of(args[0]))
            .maxMessageBytes(512 * 1024 * 1024)
            .commandTimeout(Duration.ofSeconds(20))
            .connect()) {
      qga.ping();
      long start = System.nanoTime();
      try {
        probe.result("hostName", qga.hostName());
      } catch (Throwable e) {
        probe.result("failure", e.getClass().getSimpleName());
        probe.result("failureMessage", e.getMessage());
        probe.result(
            "failureCause", e.getCause() == null ? "none" : e.getCause().getClass().getName());
      }
      probe.result("callMillis", (System.nanoTime() - start) / 1_000_000);
      probe.result("clientOpen", qga.isOpen());
    }
    probe.report();
    System.exit(0);
  }
}

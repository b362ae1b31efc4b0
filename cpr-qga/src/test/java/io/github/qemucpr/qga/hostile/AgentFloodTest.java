package io.github.qemucpr.qga.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.hostile.ChildJvm;
import io.github.qemucpr.testing.FakeGuestAgent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A hostile guest floods its agent channel at full speed: lines of 30 MiB, bursts of stale replies
 * and false sync answers, while the client sits idle and then while it runs commands. The client
 * runs in a JVM of its own limited to 64 MiB of heap ({@link AgentFloodChild}); it must come
 * through without an {@code OutOfMemoryError} anywhere, stay open, and run a command once the flood
 * stops. The flood lasts {@code -Dqemucpr.flood.seconds} (10 s by default).
 */
@Timeout(600)
class AgentFloodTest {

  static final Duration FLOOD = Duration.ofSeconds(Long.getLong("qemucpr.flood.seconds", 10));
  private static final int BIG_LINE = 30 * 1024 * 1024;

  @Test
  void aFloodIntoAnIdleClientLeavesItsHeapBoundedAndTheNextCommandWorks() throws Exception {
    flood("idle");
  }

  @Test
  void aFloodIntoABusyClientLeavesItsHeapBoundedAndTheNextCommandWorks() throws Exception {
    flood("busy");
  }

  private void flood(String mode) throws Exception {
    try (FakeGuestAgent agent = FakeGuestAgent.start();
        ChildJvm child =
            ChildJvm.start(AgentFloodChild.class, "64m", agent.socketPath().toString(), mode)) {
      child.expect("READY", Duration.ofSeconds(60));
      FakeGuestAgent.Connection connection = agent.awaitConnection(Duration.ofSeconds(5));

      Flood flood = new Flood(connection);
      boolean keptReading = flood.runFor(FLOOD);
      if (!keptReading) {
        agent.disconnect(); // ends the write the child no longer reads
      }
      child.send("STOP");
      Map<String, String> results = child.awaitResults(Duration.ofSeconds(120));
      long written = flood.written;

      Map<String, String> heap = child.heapFigures();
      System.out.printf(
          "qga flood into a%s %s client for %d s: %d MiB written; child %s; heap %s%n",
          mode.equals("idle") ? "n" : "", mode, FLOOD.toSeconds(), written >> 20, results, heap);
      assertThat(keptReading).as("the client kept reading" + child.describe()).isTrue();
      assertThat(results.get("uncaught")).as(child.describe()).isEqualTo("none");
      assertThat(results.get("commandAfterFlood")).as(child.describe()).isEqualTo("ok");
      assertThat(results.get("clientOpen")).isEqualTo("true");
      // The flood went in: many times the child's whole heap passed through its socket.
      assertThat(written).isGreaterThan(4L * 64 * 1024 * 1024);
      // What the child held: the most heap live after its periodic full collections. The
      // client's own bound is about 2 MiB (the 1 MiB message limit, and 1 MiB of lines queued);
      // the rest is the JVM's own, about 5 MiB.
      assertThat(child.maxLiveHeapBytes()).isLessThan(16L * 1024 * 1024);
    }
  }

  /** Writes lines of 30 MiB, stale replies and false sync answers, from a thread of its own. */
  private static final class Flood {
    private final FakeGuestAgent.Connection connection;
    private final byte[] big = new byte[BIG_LINE];
    private final byte[] stale =
        "{\"return\": {}, \"id\": 1}\n".repeat(4000).getBytes(StandardCharsets.US_ASCII);
    private final byte[] falseSync =
        "\u00ff{\"return\": 12345}\n".getBytes(StandardCharsets.ISO_8859_1);
    private volatile boolean stop;
    volatile long written;

    Flood(FakeGuestAgent.Connection connection) {
      this.connection = connection;
      Arrays.fill(big, (byte) 'x');
      byte[] head = "{\"return\": \"".getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(head, 0, big, 0, head.length);
      big[big.length - 3] = '"';
      big[big.length - 2] = '}';
      big[big.length - 1] = '\n';
    }

    /**
     * Floods for {@code duration}; returns false if a write still had not gone through 15 s later,
     * that is, if the client stopped reading its socket.
     */
    boolean runFor(Duration duration) throws InterruptedException {
      Thread writer =
          new Thread(
              () -> {
                try {
                  while (!stop) {
                    connection.write(big);
                    connection.write(stale);
                    connection.write(falseSync);
                    written += big.length + stale.length + falseSync.length;
                  }
                } catch (IOException e) {
                  // disconnected
                }
              },
              "agent-flood");
      writer.setDaemon(true);
      writer.start();
      Thread.sleep(duration.toMillis());
      stop = true;
      writer.join(15_000);
      return !writer.isAlive();
    }
  }
}

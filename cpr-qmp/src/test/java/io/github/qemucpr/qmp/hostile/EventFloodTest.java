package io.github.qemucpr.qmp.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.testing.FakeQmpServer;
import io.github.qemucpr.testing.Responders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A QEMU that floods its client with events at full speed, 8 KiB each, while the client's listener
 * cannot keep up, first while the client sits idle and then while it runs commands. The client runs
 * in a JVM of its own limited to 64 MiB of heap ({@link EventFloodChild}); it must come through
 * without an {@code OutOfMemoryError}, lose none of the events it waits for (an event wait, and
 * every {@code MIGRATION} event through an event queue), stay open, and run a command once the
 * flood stops. The flood lasts {@code -Dqemucpr.flood.seconds} (10 s by default).
 */
@Timeout(600)
class EventFloodTest {

  static final Duration FLOOD = Duration.ofSeconds(Long.getLong("qemucpr.flood.seconds", 10));

  @Test
  void anEventFloodIntoAnIdleClientLeavesItsHeapBoundedAndLosesNoWaitedEvent() throws Exception {
    flood("idle");
  }

  @Test
  void anEventFloodIntoABusyClientLeavesItsHeapBoundedAndLosesNoWaitedEvent() throws Exception {
    flood("busy");
  }

  private void flood(String mode) throws Exception {
    try (FakeQmpServer server = FakeQmpServer.start();
        ChildJvm child =
            ChildJvm.start(EventFloodChild.class, "64m", server.socketPath().toString(), mode)) {
      server.on("query-status", Responders.returns("{\"status\": \"running\", \"running\": true}"));
      child.expect("READY", Duration.ofSeconds(60));

      Flood flood = new Flood(server);
      boolean keptReading = flood.runFor(FLOOD);
      if (!keptReading) {
        server.disconnect(); // ends the write the child no longer reads
      } else {
        server.sendEvent("MIGRATION", "{\"status\": \"completed\"}");
        server.sendEvent("FLOOD_END", null);
      }
      child.send("STOP " + flood.migrationEvents);
      Map<String, String> results = child.awaitResults(Duration.ofSeconds(180));
      Map<String, String> heap = child.heapFigures();

      System.out.printf(
          "qmp event flood into a%s %s client for %d s: %d events, %d MiB written; child %s;"
              + " heap %s%n",
          mode.equals("idle") ? "n" : "",
          mode,
          FLOOD.toSeconds(),
          flood.events,
          flood.written >> 20,
          results,
          heap);
      assertThat(keptReading).as("the client kept reading" + child.describe()).isTrue();
      assertThat(results.get("uncaught")).as(child.describe()).isEqualTo("none");
      assertThat(results.get("waitSawFloodEnd")).isEqualTo("FLOOD_END");
      assertThat(results.get("migrationEventsTaken"))
          .isEqualTo(Long.toString(flood.migrationEvents));
      assertThat(results.get("commandAfterFlood")).as(child.describe()).isEqualTo("ok");
      assertThat(results.get("clientOpen")).isEqualTo("true");
      // Its listener could not keep up: it got fewer events than were sent.
      assertThat(Long.parseLong(results.get("listenerEvents"))).isLessThan(flood.events);
      assertThat(flood.written).isGreaterThan(4L * 64 * 1024 * 1024);
      // What the child held: the most heap live after its periodic full collections. The
      // listeners' queue holds at most 4 MiB of JSON, decoded; the rest is the JVM's own (5 MiB).
      assertThat(child.maxLiveHeapBytes()).isLessThan(16L * 1024 * 1024);
    }
  }

  /** Writes 8 KiB events in batches of 1 MiB, each batch followed by a MIGRATION event. */
  private static final class Flood {
    private static final int EVENT_BYTES = 8 * 1024;
    private static final int BATCH = 128;

    private final FakeQmpServer server;
    private final byte[] batch;
    private final byte[] migration;
    private volatile boolean stop;
    volatile long written;
    volatile long events;
    volatile long migrationEvents;

    Flood(FakeQmpServer server) {
      this.server = server;
      String head = "{\"event\": \"BLOCK_JOB_PENDING\", \"data\": {\"id\": \"";
      String tail = "\"}, \"timestamp\": {\"seconds\": 1795735760, \"microseconds\": 0}}\n";
      String one = head + "j".repeat(EVENT_BYTES - head.length() - tail.length()) + tail;
      this.batch = one.repeat(BATCH).getBytes(StandardCharsets.US_ASCII);
      this.migration =
          ("{\"event\": \"MIGRATION\", \"data\": {\"status\": \"active\"}, \"timestamp\":"
                  + " {\"seconds\": 1795735760, \"microseconds\": 0}}\n")
              .getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Floods for {@code duration}; returns false if a write still had not gone through 15 s later,
     * that is, if the client stopped reading its socket.
     */
    boolean runFor(Duration duration) throws InterruptedException {
      Thread writer =
          new Thread(
              () -> {
                while (!stop) {
                  server.sendBytes(batch);
                  server.sendBytes(migration);
                  written += batch.length + migration.length;
                  events += BATCH + 1;
                  migrationEvents++;
                }
              },
              "event-flood");
      writer.setDaemon(true);
      writer.start();
      Thread.sleep(duration.toMillis());
      stop = true;
      writer.join(15_000);
      return !writer.isAlive();
    }
  }
}

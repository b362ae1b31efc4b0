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
 * The listeners' bound counts events as decoded (issue 11, item 1, QMP side): the same flood as
 * {@link EventFloodTest}, 8 KiB events into a client whose listener cannot keep up, but with event
 * data that is many small JSON values ({@code [{},{},...]}) instead of one long string. What the
 * queue holds is each event decoded to a {@code JsonNode} tree (a {@code GenericEvent} keeps its
 * data), about 25 times its text for such data; when the 4 MiB bound counted the text, this flood
 * took the 64 MiB client to {@code OutOfMemoryError}. SECURITY.md states how events are counted.
 */
@Timeout(600)
class EventTreeFloodTest {

  @Test
  void anEventFloodOfSmallJsonValuesLeavesTheHeapBounded() throws Exception {
    try (FakeQmpServer server = FakeQmpServer.start();
        ChildJvm child =
            ChildJvm.start(EventFloodChild.class, "64m", server.socketPath().toString(), "idle")) {
      server.on("query-status", Responders.returns("{\"status\": \"running\", \"running\": true}"));
      child.expect("READY", Duration.ofSeconds(60));

      Flood flood = new Flood(server);
      boolean keptReading = flood.runFor(EventFloodTest.FLOOD);
      boolean connected = true;
      if (!keptReading) {
        server.disconnect(); // ends the write the child no longer reads
      } else {
        try {
          server.sendEvent("MIGRATION", "{\"status\": \"completed\"}");
          server.sendEvent("FLOOD_END", null);
        } catch (AssertionError e) {
          connected = false; // the client closed its connection during the flood
        }
      }
      child.send("STOP " + flood.migrationEvents);
      Map<String, String> results = child.awaitResults(Duration.ofSeconds(180));
      Map<String, String> heap = child.heapFigures();

      System.out.printf(
          "qmp flood of small-valued events for %d s: %d events, %d MiB written; child %s;"
              + " heap %s%n",
          EventFloodTest.FLOOD.toSeconds(), flood.events, flood.written >> 20, results, heap);
      assertThat(keptReading).as("the client kept reading" + child.describe()).isTrue();
      assertThat(connected)
          .as("the client was still connected after the flood; child " + results + child.describe())
          .isTrue();
      assertThat(results.get("uncaught")).as(child.describe()).isEqualTo("none");
      assertThat(results.get("commandAfterFlood")).as(child.describe()).isEqualTo("ok");
      assertThat(results.get("clientOpen")).isEqualTo("true");
      assertThat(child.maxLiveHeapBytes())
          .as("the most heap live in the child (the same bound as EventFloodTest)")
          .isLessThan(16L * 1024 * 1024);
    }
  }

  /** Writes 8 KiB events of small JSON values in batches of 1 MiB, each followed by MIGRATION. */
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
      String head = "{\"event\": \"BLOCK_JOB_PENDING\", \"data\": {\"id\": \"j\", \"v\": [{}";
      String tail = "]}, \"timestamp\": {\"seconds\": 1795735760, \"microseconds\": 0}}\n";
      String one = head + ",{}".repeat((EVENT_BYTES - head.length() - tail.length()) / 3) + tail;
      this.batch = one.repeat(BATCH).getBytes(StandardCharsets.US_ASCII);
      this.migration =
          ("{\"event\": \"MIGRATION\", \"data\": {\"status\": \"active\"}, \"timestamp\":"
                  + " {\"seconds\": 1795735760, \"microseconds\": 0}}\n")
              .getBytes(StandardCharsets.US_ASCII);
    }

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

package io.github.qemucpr.qmp.hostile;

import io.github.qemucpr.qmp.EventQueue;
import io.github.qemucpr.qmp.EventWait;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.event.GenericEvent;
import io.github.qemucpr.qmp.event.MigrationEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client side of {@link EventFloodTest}, run in a JVM of its own with a 64 MiB heap. Its
 * listener cannot keep up (1 ms an event), and it waits for two things that must not be lost: a
 * {@code FLOOD_END} event (an event wait) and every {@code MIGRATION} event (an event queue, taken
 * all along as a workflow does). It says READY, sits idle ({@code idle}) or runs commands all the
 * time ({@code busy}) until told {@code STOP N} (N: how many MIGRATION events were sent before the
 * final {@code completed}), then reports what it saw and runs one more command.
 *
 * <p>Arguments: the QMP socket, {@code idle} or {@code busy}.
 */
public final class EventFloodChild {

  private EventFloodChild() {}

  public static void main(String[] args) throws Exception {
    Path socket = Path.of(args[0]);
    boolean busy = args[1].equals("busy");
    FloodProbe probe = FloodProbe.start();
    AtomicLong listened = new AtomicLong();
    AtomicLong commandsOk = new AtomicLong();
    Map<String, AtomicLong> commandsFailed = new ConcurrentHashMap<>();
    try (QmpClient qmp =
        QmpClient.builder()
            .unixSocket(socket)
            .commandTimeout(Duration.ofSeconds(10))
            .name("flooded")
            .connect()) {
      qmp.subscribe(
          e -> {
            listened.incrementAndGet();
            try {
              Thread.sleep(1); // a listener that cannot keep up
            } catch (InterruptedException ex) {
              Thread.currentThread().interrupt();
            }
          });
      EventWait<GenericEvent> end =
          qmp.expectEvent(GenericEvent.class, e -> e.name().equals("FLOOD_END"));
      EventQueue<MigrationEvent> migration = qmp.openEventQueue(MigrationEvent.class);
      AtomicLong migrationEvents = new AtomicLong();
      Thread taker =
          new Thread(
              () -> {
                try {
                  while (!migration.take(Duration.ofMinutes(10)).status().isFinished()) {
                    migrationEvents.incrementAndGet();
                  }
                } catch (Throwable e) {
                  probe.failure("taking MIGRATION events", e);
                }
              },
              "migration-taker");
      taker.start();
      probe.say("READY");
      Thread worker = null;
      if (busy) {
        worker =
            new Thread(
                () -> {
                  while (!Thread.currentThread().isInterrupted()) {
                    try {
                      qmp.execute(new QueryStatus());
                      commandsOk.incrementAndGet();
                    } catch (QmpException e) {
                      commandsFailed
                          .computeIfAbsent(e.getClass().getSimpleName(), k -> new AtomicLong())
                          .incrementAndGet();
                    } catch (Throwable e) {
                      probe.failure("a command during the flood", e);
                      return;
                    }
                  }
                },
                "busy-commands");
        worker.start();
      }
      String stop = probe.awaitPrefix("STOP ");
      if (worker != null) {
        worker.interrupt();
        worker.join(30_000);
      }
      String sawEnd;
      try {
        sawEnd = end.await(Duration.ofSeconds(60)).name();
      } catch (Throwable e) {
        sawEnd = e.toString();
      }
      taker.join(60_000);
      probe.result("waitSawFloodEnd", sawEnd);
      probe.result("migrationEventsSent", stop == null ? "?" : stop.substring(5));
      probe.result("migrationEventsTaken", migrationEvents.get());
      long start = System.nanoTime();
      String after;
      try {
        qmp.execute(new QueryStatus());
        after = "ok";
      } catch (Throwable e) {
        after = e.toString();
      }
      probe.result("commandAfterFlood", after);
      probe.result("commandAfterFloodMillis", (System.nanoTime() - start) / 1_000_000);
      probe.result("clientOpen", qmp.isOpen());
      probe.result("listenerEvents", listened.get());
      probe.result("commandsOkDuringFlood", commandsOk.get());
      probe.result("commandsFailedDuringFlood", commandsFailed);
    }
    probe.report();
    System.exit(0);
  }
}

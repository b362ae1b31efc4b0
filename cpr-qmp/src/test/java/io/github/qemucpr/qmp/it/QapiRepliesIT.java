package io.github.qemucpr.qmp.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.QemuVersion;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpCommandException;
import io.github.qemucpr.qmp.event.GenericEvent;
import io.github.qemucpr.qmp.event.QmpEvent;
import io.github.qemucpr.qmp.internal.qapi.QapiCodec;
import io.github.qemucpr.qmp.internal.qapi.QapiIndex;
import io.github.qemucpr.qmp.internal.wire.JsonCodec;
import io.github.qemucpr.qmp.qapi.QapiEvent;
import io.github.qemucpr.qmp.qapi.QapiEvents;
import io.github.qemucpr.qmp.qapi.blockcore.BlockJobCompletedEvent;
import io.github.qemucpr.qmp.qapi.blockcore.BlockdevBackupCommand;
import io.github.qemucpr.qmp.qapi.blockcore.MirrorSyncMode;
import io.github.qemucpr.qmp.qapi.machine.CpuInfoFast;
import io.github.qemucpr.qmp.qapi.machine.QueryCpusFast;
import io.github.qemucpr.qmp.qapi.qdev.DeviceAdd;
import io.github.qemucpr.qmp.qapi.qdev.DeviceDel;
import io.github.qemucpr.qmp.qapi.qdev.DeviceDeletedEvent;
import io.github.qemucpr.qmp.testing.QemuProcess;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The replies of every safe query ({@code query-*} and {@code qom-list-types} that need no
 * arguments) and the events a machine-only VM can be made to send, from the running QEMU: each
 * decodes to its generated type and encodes back to the same JSON. With {@code -Dqapi.record=true}
 * they are also written to the test resources, where RecordedRepliesTest replays them without QEMU.
 */
class QapiRepliesIT {
  private static final JsonCodec JSON = new JsonCodec();
  private static final Path FIXTURES =
      Path.of("src/test/resources/io/github/qemucpr/qmp/qapi/replies");
  private static final Duration EVENT_TIMEOUT = Duration.ofSeconds(10);

  private static QemuProcess qemu;
  private static QmpClient qmp;
  private static String version;
  private static final List<QmpEvent> events = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    qemu =
        QemuProcess.builder()
            .name("qapi-replies-it")
            .extraArgs(
                "-device", "qemu-xhci,id=xhci",
                "-blockdev", "driver=null-co,node-name=null0,size=1048576",
                "-blockdev", "driver=null-co,node-name=null1,size=1048576",
                "-device", "virtio-blk-pci,drive=null0,id=disk0",
                "-device", "virtio-rng-pci,id=rng0")
            .start();
    qmp = qemu.connect();
    qmp.subscribe(events::add);
    QemuVersion v = qmp.greeting().version();
    version = v.major() + "." + v.minor();
  }

  @AfterAll
  static void stop() {
    if (qmp != null) {
      qmp.close();
    }
    if (qemu != null) {
      qemu.close();
    }
  }

  @Test
  void everySafeQueryRoundTrips() throws Exception {
    Map<String, JsonNode> replies = new TreeMap<>();
    List<String> refused = new ArrayList<>();
    for (Map.Entry<String, String> c : QapiIndex.commandClasses().entrySet()) {
      String name = c.getKey();
      Class<?> type = Class.forName(c.getValue());
      if (!safeQuery(name, type)) {
        continue;
      }
      try {
        replies.put(name, qmp.execute(name, null));
      } catch (QmpCommandException e) {
        refused.add(name + " (" + e.errorClassName() + ")");
      }
    }
    List<String> lossy = new ArrayList<>();
    for (Map.Entry<String, JsonNode> r : replies.entrySet()) {
      String problem = roundTrip(r.getKey(), r.getValue());
      if (problem != null) {
        lossy.add(problem);
      }
    }
    System.out.printf(
        "QEMU %s: %d queries answered and round-tripped; refused here: %s%n",
        version, replies.size(), refused);
    assertThat(replies)
        .containsKeys("query-status", "query-cpus-fast", "query-block", "qom-list-types");
    assertThat(lossy).isEmpty();
    if (Boolean.getBoolean("qapi.record")) {
      for (Map.Entry<String, JsonNode> r : replies.entrySet()) {
        write(FIXTURES.resolve(version).resolve(r.getKey() + ".json"), r.getValue());
      }
    }
  }

  @Test
  void typedCallsHotPlugADeviceAndRunABlockJob() throws Exception {
    // A USB device: unplugging it needs no guest, so DEVICE_DELETED comes at once.
    qmp.execute(new DeviceAdd("usb-kbd", "xhci.0", "kbd0", Map.of("port", "1")));
    JsonNode qom =
        qmp.execute(
            "qom-get", JSON.toTree(Map.of("path", "/machine/peripheral/kbd0", "property", "type")));
    assertThat(qom.asString()).isEqualTo("usb-kbd");
    QmpEvent deleted;
    try (var wait =
        qmp.expectEvent(GenericEvent.class, e -> e.name().equals(DeviceDeletedEvent.NAME))) {
      qmp.execute(new DeviceDel("kbd0"));
      deleted = wait.await(EVENT_TIMEOUT);
    }
    DeviceDeletedEvent typed = QapiEvents.decode(deleted, DeviceDeletedEvent.class).orElseThrow();
    assertThat(typed.device()).isEqualTo("kbd0");

    QmpEvent completed;
    try (var wait =
        qmp.expectEvent(GenericEvent.class, e -> e.name().equals(BlockJobCompletedEvent.NAME))) {
      qmp.execute(
          BlockdevBackupCommand.builder("null0", MirrorSyncMode.FULL, "null1")
              .jobId("job0")
              .build());
      completed = wait.await(EVENT_TIMEOUT);
    }
    BlockJobCompletedEvent done =
        QapiEvents.decode(completed, BlockJobCompletedEvent.class).orElseThrow();
    assertThat(done.device()).isEqualTo("job0");
    assertThat(done.error()).isNull();

    // The wait above is served as the event is read; the subscriber gets it from the listener
    // thread, a moment later.
    long until = System.nanoTime() + EVENT_TIMEOUT.toNanos();
    while (events.stream()
            .noneMatch(
                e -> e instanceof GenericEvent g && g.name().equals(BlockJobCompletedEvent.NAME))
        && System.nanoTime() < until) {
      Thread.sleep(10);
    }

    List<String> lossy = new ArrayList<>();
    Map<String, JsonNode> seen = new TreeMap<>();
    for (QmpEvent e : events) {
      if (e instanceof GenericEvent g) {
        QapiEvent decoded = QapiEvents.decode(g).orElseThrow();
        JsonNode again = JSON.toTree(QapiCodec.encode(decoded));
        if (!sameJson(again, g.data())) {
          lossy.add(g.name() + ": " + g.data() + " became " + again);
        }
        seen.putIfAbsent(g.name(), g.data());
      }
    }
    assertThat(seen).containsKeys("DEVICE_DELETED", "JOB_STATUS_CHANGE", "BLOCK_JOB_COMPLETED");
    assertThat(lossy).isEmpty();
    if (Boolean.getBoolean("qapi.record")) {
      for (Map.Entry<String, JsonNode> e : seen.entrySet()) {
        write(
            FIXTURES.resolve(version).resolve("events").resolve(e.getKey() + ".json"),
            e.getValue());
      }
    }
    List<CpuInfoFast> cpus = qmp.execute(new QueryCpusFast());
    assertThat(cpus).isNotEmpty();
  }

  /** A query that needs no arguments and changes nothing. */
  static boolean safeQuery(String name, Class<?> type) {
    if (!name.startsWith("query-") && !name.equals("qom-list-types")) {
      return false;
    }
    try {
      type.getConstructor();
      return true;
    } catch (NoSuchMethodException e) {
      return type.getRecordComponents().length == 0;
    }
  }

  /** Null when the reply decodes to its type and encodes back the same; else what went wrong. */
  static String roundTrip(String command, JsonNode reply) throws Exception {
    Class<?> type = Class.forName(QapiIndex.commandClasses().get(command));
    Field f = type.getDeclaredField("REPLY");
    f.setAccessible(true);
    Type replyType = (Type) f.get(null);
    if (replyType == Void.class) {
      return reply.isObject() && reply.isEmpty()
          ? null
          : command + ": typed without a reply, got " + reply;
    }
    Object decoded;
    try {
      decoded = QapiCodec.decode(reply, replyType);
    } catch (QapiCodec.DecodeException e) {
      return command + ": " + e.getMessage();
    }
    JsonNode again = JSON.toTree(QapiCodec.encode(decoded));
    return sameJson(again, reply) ? null : command + ": re-encoded differs";
  }

  /** JSON equality where 1, 1L and 1.0 are the same number. */
  static boolean sameJson(JsonNode a, JsonNode b) {
    return a.equals(
        (x, y) ->
            x.isNumber() && y.isNumber()
                ? x.decimalValue().compareTo(y.decimalValue())
                : x.equals(y) ? 0 : 1,
        b);
  }

  private static void write(Path file, JsonNode value) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, (value.toString() + "\n").getBytes(StandardCharsets.UTF_8));
  }
}

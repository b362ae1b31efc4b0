package io.github.qemucpr.api.transfer;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.testing.FakeQmpServer;
import io.github.qemucpr.testing.FakeQmpServer.Exchange;
import io.github.qemucpr.testing.FakeQmpServer.Request;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A source QEMU 10.0 and the new QEMU of a cpr-transfer, simulated on two {@link FakeQmpServer}s
 * with the behaviour checked against real QEMU 10.0.2: the source's {@code migrate} replies once it
 * has written the cpr state; the new QEMU's monitor socket appears only then (a symbolic link at
 * {@link #targetQmp} made by {@code migrate}); with {@code -incoming defer} nothing moves until
 * {@code migrate-incoming}; the source emits {@code STOP} only when the main channel connects. A
 * real listening socket stands at {@link #cprChannel}, as the new QEMU's would. Tests change the
 * state or the {@link Target} behaviour, run the real workflow, and assert on what the servers
 * recorded.
 */
final class FakeTransferPair implements AutoCloseable {
  static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Duration STEP = Duration.ofMillis(15);

  /** What the new QEMU does once the source's {@code migrate} has written the cpr state. */
  enum Target {
    /** Main channel on its command line: it loads at once and resumes before it is asked. */
    LOADS_AT_ONCE,
    /** {@code -incoming defer}: it loads after {@code migrate-incoming} and resumes. */
    DEFERRED,
    /** It dies after reading the cpr state: the source cannot connect the main channel. */
    DIES_AFTER_CPR,
    /** It hangs: its monitor never appears, the source waits in {@code setup}. */
    HANGS,
    /** {@code -incoming defer}, and the load fails; with exit-on-error off it stays alive. */
    DEFERRED_LOAD_FAILS,
    /** {@code -incoming defer}; it dies just after the source completed. */
    DEFERRED_DIES_AFTER_COMPLETION,
    /**
     * Main channel on its command line; it resumes as its monitor's negotiation ends: the {@code
     * RESUME} follows the reply to {@code qmp_capabilities} in the same write.
     */
    RESUMES_AS_ITS_MONITOR_ANSWERS
  }

  final Path dir;
  final Path cprChannel;
  final Path mainChannel;
  final Path targetQmp;
  final FakeQmpServer source = FakeQmpServer.start();
  final FakeQmpServer target = FakeQmpServer.start();
  private final ServerSocketChannel cprListener;

  // The source's state.
  volatile String runState = "running";
  volatile String mode = "normal";
  volatile String migration = "none";
  volatile @Nullable String errorDesc;
  volatile String version = "{\"major\": 10, \"minor\": 0, \"micro\": 2}";
  volatile List<String> modes = List.of("normal", "cpr-reboot", "cpr-transfer");
  volatile boolean auxRamShare = true;
  volatile boolean memfdShared = true;
  volatile boolean discardData;
  final Map<String, Boolean> capabilities = new LinkedHashMap<>();
  final List<String> blockers = new ArrayList<>();
  final Map<String, String> peripherals = new LinkedHashMap<>();
  volatile @Nullable String migrateError;
  volatile Target behaviour = Target.LOADS_AT_ONCE;

  // The new QEMU's state.
  volatile String targetRunState = "inmigrate";
  volatile String targetMigration = "none";
  volatile @Nullable String targetErrorDesc;

  // The timestamps of the events the blackout is measured between, as sent.
  volatile @Nullable Instant firstStopSent;
  volatile @Nullable Instant firstResumeSent;

  FakeTransferPair(Path dir) {
    this.dir = dir;
    this.cprChannel = dir.resolve("cpr.sock");
    this.mainChannel = dir.resolve("main.sock");
    this.targetQmp = dir.resolve("target-qmp.sock");
    try {
      cprListener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      cprListener.bind(UnixDomainSocketAddress.of(cprChannel));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (String c :
        List.of(
            "xbzrle",
            "events",
            "postcopy-ram",
            "x-colo",
            "x-ignore-shared",
            "background-snapshot",
            "dirty-bitmaps",
            "postcopy-preempt",
            "multifd")) {
      capabilities.put(c, false);
    }
    scriptSource();
    scriptTarget();
  }

  QmpClient connectSource() {
    return QmpClient.connect(source.socketPath());
  }

  List<String> sourceCommands() {
    return source.commandNames();
  }

  List<String> targetCommands() {
    return target.commandNames();
  }

  /** The requests of one command to the source, in order. */
  List<Request> sourceRequests(String command) {
    return source.requests().stream().filter(r -> r.command().equals(command)).toList();
  }

  List<Request> targetRequests(String command) {
    return target.requests().stream().filter(r -> r.command().equals(command)).toList();
  }

  boolean isActive() {
    return List.of("setup", "active", "device", "cancelling").contains(migration);
  }

  // ------------------------------------------------------------------ the source

  private void scriptSource() {
    source.on(
        "query-version", (r, x) -> x.returns("{\"qemu\": " + version + ", \"package\": \"fake\"}"));
    source.on("query-qmp-schema", (r, x) -> x.returns(schema()));
    source.on("query-status", (r, x) -> x.returns(status(runState)));
    source.on(
        "query-migrate",
        (r, x) -> {
          ObjectNode o = JSON.createObjectNode();
          if (!migration.equals("none")) {
            o.put("status", migration);
          }
          if (errorDesc != null) {
            o.put("error-desc", errorDesc);
          }
          if (migration.equals("completed")) {
            o.put("downtime", 2).put("total-time", 11);
          }
          if (mode.equals("cpr-transfer") && !blockers.isEmpty()) {
            ArrayNode a = o.putArray("blocked-reasons");
            blockers.forEach(a::add);
          }
          x.returns(o.toString());
        });
    source.on(
        "query-migrate-capabilities",
        (r, x) -> {
          ArrayNode a = JSON.createArrayNode();
          capabilities.forEach((c, on) -> a.addObject().put("capability", c).put("state", on));
          x.returns(a.toString());
        });
    source.on("query-migrate-parameters", (r, x) -> x.returns("{\"mode\": \"" + mode + "\"}"));
    source.on(
        "migrate-set-parameters",
        (r, x) -> {
          if (isActive()) {
            x.error("GenericError", "There's a migration process in progress");
            return;
          }
          mode = String.valueOf(r.argument("mode"));
          x.returns("{}");
        });
    source.on(
        "migrate-set-capabilities",
        (r, x) -> {
          for (JsonNode c : r.arguments().path("capabilities")) {
            capabilities.put(c.path("capability").asString(), c.path("state").asBoolean());
          }
          x.returns("{}");
        });
    source.on(
        "query-memdev",
        (r, x) ->
            x.returns(
                "[{\"id\": \"ram0\", \"size\": 268435456, \"share\": "
                    + memfdShared
                    + ", \"merge\": true,"
                    + " \"dump\": true, \"prealloc\": false, \"policy\": \"default\","
                    + " \"host-nodes\": []}]"));
    source.on(
        "qom-get",
        (r, x) -> {
          String path = r.argument("path");
          String property = r.argument("property");
          if ("/machine".equals(path) && "aux-ram-share".equals(property)) {
            x.returns(String.valueOf(auxRamShare));
          } else if ("/objects/ram0".equals(path) && "type".equals(property)) {
            x.returns(discardData ? "\"memory-backend-file\"" : "\"memory-backend-memfd\"");
          } else if ("/objects/ram0".equals(path) && "mem-path".equals(property)) {
            x.returns(JSON.valueToTree(dir.resolve("ram").toString()).toString());
          } else if ("/objects/ram0".equals(path) && "discard-data".equals(property)) {
            x.returns(String.valueOf(discardData));
          } else {
            x.error("GenericError", "Property '" + property + "' not found");
          }
        });
    source.on(
        "qom-list",
        (r, x) -> {
          ArrayNode a = JSON.createArrayNode();
          a.addObject().put("name", "type").put("type", "string");
          if ("/machine/peripheral".equals(r.argument("path"))) {
            peripherals.forEach((name, type) -> a.addObject().put("name", name).put("type", type));
          }
          x.returns(a.toString());
        });
    source.on("migrate", this::migrate);
    source.on(
        "migrate_cancel",
        (r, x) -> {
          x.returns("{}");
          if (isActive()) {
            migration = "cancelling";
            x.event("MIGRATION", "{\"status\": \"cancelling\"}");
            migration = "cancelled";
            x.event("MIGRATION", "{\"status\": \"cancelled\"}");
          }
        });
    source.on(
        "cont",
        (r, x) -> {
          if (!runState.equals("running")) {
            runState = "running";
            x.returns("{}");
            x.event("RESUME", null);
          } else {
            x.returns("{}");
          }
        });
    source.on(
        "quit",
        (r, x) -> {
          x.event("SHUTDOWN", "{\"guest\": false, \"reason\": \"host-qmp-quit\"}");
          x.returns("{}");
          x.disconnect();
        });
  }

  private void migrate(Request r, Exchange x) {
    String error = migrateError;
    migration = "setup";
    x.event("MIGRATION", "{\"status\": \"setup\"}");
    if (error != null) {
      migration = "failed";
      errorDesc = error;
      x.event("MIGRATION", "{\"status\": \"failed\"}");
      x.error("GenericError", error);
      return;
    }
    x.returns("{}");
    switch (behaviour) {
      case LOADS_AT_ONCE:
        targetMigration = "active"; // listening on its main channel from the command line
        appear();
        x.later(
            STEP,
            () -> {
              completeSource();
              targetRunState = "running"; // resumed before anyone could connect: no RESUME seen
              targetMigration = "completed";
            });
        break;
      case DIES_AFTER_CPR:
        x.later(
            STEP,
            () -> {
              migration = "failed";
              errorDesc = "Failed to connect to '" + mainChannel + "': No such file or directory";
              source.sendEvent("MIGRATION", "{\"status\": \"failed\"}");
            });
        break;
      case RESUMES_AS_ITS_MONITOR_ANSWERS:
        targetMigration = "active";
        target.on(
            "qmp_capabilities",
            (req, t) -> {
              completeSource();
              targetRunState = "running";
              targetMigration = "completed";
              t.raw("{\"return\": {}, \"id\": " + req.id() + "}\n" + eventLine("RESUME") + "\n");
            });
        appear();
        break;
      case HANGS:
        break;
      default:
        appear();
        break;
    }
  }

  /**
   * A {@code STOP} or {@code RESUME} event stamped now, to the microsecond as QEMU stamps them; the
   * first of each is kept in {@link #firstStopSent} or {@link #firstResumeSent}.
   */
  private String eventLine(String name) {
    Instant at = Instant.now().truncatedTo(ChronoUnit.MICROS);
    if (name.equals("STOP") && firstStopSent == null) {
      firstStopSent = at;
    } else if (name.equals("RESUME") && firstResumeSent == null) {
      firstResumeSent = at;
    }
    return "{\"event\": \""
        + name
        + "\", \"data\": {}, \"timestamp\": {\"seconds\": "
        + at.getEpochSecond()
        + ", \"microseconds\": "
        + at.getNano() / 1000
        + "}}";
  }

  /** The source stops the VM and completes, as QEMU does once the main channel is connected. */
  void completeSource() {
    runState = "finish-migrate";
    source.send(eventLine("STOP"));
    migration = "active";
    source.sendEvent("MIGRATION", "{\"status\": \"active\"}");
    source.sendEvent("MIGRATION", "{\"status\": \"device\"}");
    migration = "completed";
    source.sendEvent("MIGRATION", "{\"status\": \"completed\"}");
    runState = "postmigrate";
  }

  /** The new QEMU has read the cpr state: its monitor socket appears. */
  private void appear() {
    try {
      Files.createSymbolicLink(targetQmp, target.socketPath());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ------------------------------------------------------------------ the new QEMU

  private void scriptTarget() {
    target.on("query-status", (r, x) -> x.returns(status(targetRunState)));
    target.on(
        "query-migrate",
        (r, x) -> {
          ObjectNode o = JSON.createObjectNode();
          if (!targetMigration.equals("none")) {
            o.put("status", targetMigration);
          }
          if (targetErrorDesc != null) {
            o.put("error-desc", targetErrorDesc);
          }
          x.returns(o.toString());
        });
    target.on(
        "migrate-incoming",
        (r, x) -> {
          targetMigration = "setup";
          x.returns("{}");
          x.later(
              STEP,
              () -> {
                switch (behaviour) {
                  case DEFERRED_LOAD_FAILS:
                    completeSource();
                    targetMigration = "failed";
                    targetErrorDesc = "load of migration failed: Invalid argument";
                    break;
                  case DEFERRED_DIES_AFTER_COMPLETION:
                    completeSource();
                    target.disconnect();
                    break;
                  default:
                    completeSource();
                    target.send(eventLine("RESUME"));
                    targetRunState = "running";
                    targetMigration = "completed";
                    break;
                }
              });
        });
  }

  // ------------------------------------------------------------------ replies

  private static String status(String state) {
    return "{\"running\": " + state.equals("running") + ", \"status\": \"" + state + "\"}";
  }

  private String schema() {
    ArrayNode a = JSON.createArrayNode();
    a.addObject()
        .put("name", "migrate-set-parameters")
        .put("meta-type", "command")
        .put("arg-type", "1")
        .put("ret-type", "0");
    a.addObject()
        .put("name", "1")
        .put("meta-type", "object")
        .putArray("members")
        .addObject()
        .put("name", "mode")
        .put("type", "2")
        .put("default", (String) null);
    ArrayNode members = a.addObject().put("name", "2").put("meta-type", "enum").putArray("members");
    modes.forEach(m -> members.addObject().put("name", m));
    a.addObject().put("name", "0").put("meta-type", "object").putArray("members");
    return a.toString();
  }

  @Override
  public void close() {
    source.close();
    target.close();
    try {
      cprListener.close();
      Files.deleteIfExists(cprChannel);
      Files.deleteIfExists(targetQmp);
    } catch (IOException e) {
      // best effort: the directory is a test's temporary one
    }
  }
}

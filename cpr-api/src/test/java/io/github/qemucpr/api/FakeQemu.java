package io.github.qemucpr.api;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.testing.FakeQmpServer;
import io.github.qemucpr.testing.FakeQmpServer.Exchange;
import io.github.qemucpr.testing.FakeQmpServer.Request;
import io.github.qemucpr.testing.FakeQmpServer.Responder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A QEMU 10.0 simulated on top of {@link FakeQmpServer}: it keeps the run state, the migration mode
 * and capabilities, the memory backends and the migration status, answers the commands the CPR
 * workflow sends from that state, and emits the events real QEMU emits, in its order. Tests change
 * its state or its migration script, run the real workflow against it, and assert on the commands
 * the server recorded.
 */
final class FakeQemu implements AutoCloseable {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final List<String> ALL_CAPABILITIES =
      List.of(
          "xbzrle",
          "auto-converge",
          "events",
          "postcopy-ram",
          "x-colo",
          "release-ram",
          "return-path",
          "pause-before-switchover",
          "multifd",
          "dirty-bitmaps",
          "postcopy-blocktime",
          "late-block-activate",
          "x-ignore-shared",
          "validate-uuid",
          "background-snapshot",
          "zero-copy-send",
          "postcopy-preempt",
          "switchover-ack",
          "dirty-limit",
          "mapped-ram");

  /** What {@code migrate} or {@code migrate-incoming} does. */
  @FunctionalInterface
  interface Script {
    void run(FakeQemu qemu, Request request, Exchange exchange);
  }

  /** A memory backend. */
  record Memdev(
      String id,
      long size,
      boolean share,
      String type,
      @Nullable String memPath,
      boolean discardData,
      boolean qomFails) {
    static Memdev file(String id, long size, Path memPath) {
      return new Memdev(id, size, true, "memory-backend-file", memPath.toString(), false, false);
    }

    static Memdev memfd(String id, long size) {
      return new Memdev(id, size, true, "memory-backend-memfd", null, false, false);
    }
  }

  final FakeQmpServer server = FakeQmpServer.start();
  volatile String runState = "running";
  volatile String mode = "normal";
  final Map<String, Boolean> capabilities = new LinkedHashMap<>();
  final List<Memdev> memdevs = new ArrayList<>();
  final Map<String, String> peripherals = new LinkedHashMap<>();
  final List<String> blockers = new ArrayList<>();
  volatile List<String> modes = List.of("normal", "cpr-reboot", "cpr-transfer");
  volatile boolean schemaFails;
  volatile boolean wakeupSupport = true;

  /** q35's ICH9-LPC {@code disable_s3} under /machine/unattached; {@code null}: no such device. */
  volatile @Nullable Integer disableS3;

  /**
   * i440fx's PIIX4_PM {@code disable_s3}, a child {@code pm} of the PIIX3 south bridge under
   * /machine/unattached; {@code null}: no such device.
   */
  volatile @Nullable Integer piix4DisableS3;

  volatile String migration = "none";
  volatile @Nullable String errorDesc;
  volatile String vmOldState = "running";
  volatile Script migrate = complete();
  volatile Script migrateIncoming = incomingCompletes();

  /** Counts down when {@code migrate} arrives, for tests that act while it runs. */
  final CountDownLatch migrateArrived = new CountDownLatch(1);

  private final AtomicInteger fdsetIds = new AtomicInteger();

  /** The fd sets QEMU holds: id to the {@code opaque} note of its descriptor. */
  final Map<Long, String> fdsets = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Set when QEMU 10.0 would have aborted: {@code cont} after a completed migration of a suspended
   * guest ("invalid runstate transition: 'postmigrate' -> 'suspended'"). The fake then drops the
   * connection without a reply, as the dying QEMU does.
   */
  volatile boolean aborted;

  FakeQemu() {
    ALL_CAPABILITIES.forEach(c -> capabilities.put(c, false));
    on(
        "query-version",
        (r, x) ->
            x.returns(
                "{\"qemu\": {\"major\": 10, \"minor\": 0, \"micro\": 2},"
                    + " \"package\": \"fake\"}"));
    on(
        "query-qmp-schema",
        (r, x) -> {
          if (schemaFails) {
            x.error("GenericError", "schema unavailable");
          } else {
            x.returns(schema());
          }
        });
    on("query-status", (r, x) -> x.returns(status()));
    on("query-migrate", (r, x) -> x.returns(migrationInfo()));
    on(
        "query-migrate-capabilities",
        (r, x) -> {
          ArrayNode a = JSON.createArrayNode();
          capabilities.forEach((c, on) -> a.addObject().put("capability", c).put("state", on));
          x.returns(a.toString());
        });
    on("query-migrate-parameters", (r, x) -> x.returns("{\"mode\": \"" + mode + "\"}"));
    on(
        "migrate-set-parameters",
        (r, x) -> {
          if (isActive()) {
            x.error("GenericError", "There's a migration process in progress");
            return;
          }
          String m = r.argument("mode");
          if (m != null) {
            mode = m;
          }
          x.returns("{}");
        });
    on(
        "migrate-set-capabilities",
        (r, x) -> {
          if (isActive()) {
            x.error("GenericError", "There's a migration process in progress");
            return;
          }
          for (JsonNode c : r.arguments().path("capabilities")) {
            capabilities.put(c.path("capability").asString(), c.path("state").asBoolean());
          }
          x.returns("{}");
        });
    on(
        "query-memdev",
        (r, x) -> {
          ArrayNode a = JSON.createArrayNode();
          for (Memdev m : memdevs) {
            a.addObject()
                .put("id", m.id())
                .put("size", m.size())
                .put("share", m.share())
                .put("merge", true)
                .put("dump", true)
                .put("prealloc", false)
                .put("policy", "default")
                .putArray("host-nodes");
          }
          x.returns(a.toString());
        });
    on("qom-get", this::qomGet);
    on(
        "qom-list",
        (r, x) -> {
          String path = r.argument("path");
          ArrayNode a = JSON.createArrayNode();
          a.addObject().put("name", "type").put("type", "string");
          if ("/machine/peripheral".equals(path)) {
            peripherals.forEach((name, type) -> a.addObject().put("name", name).put("type", type));
          }
          if ("/machine/unattached".equals(path) && disableS3 != null) {
            a.addObject().put("name", "device[0]").put("type", "child<mch>");
            a.addObject().put("name", "device[2]").put("type", "child<ICH9-LPC>");
          }
          if ("/machine/unattached".equals(path) && piix4DisableS3 != null) {
            a.addObject().put("name", "device[0]").put("type", "child<i440FX>");
            a.addObject().put("name", "device[3]").put("type", "child<PIIX3>");
          }
          if ("/machine/unattached/device[3]".equals(path) && piix4DisableS3 != null) {
            a.addObject().put("name", "ide").put("type", "child<piix3-ide>");
            a.addObject().put("name", "pm").put("type", "child<PIIX4_PM>");
          }
          x.returns(a.toString());
        });
    on(
        "query-current-machine",
        (r, x) -> x.returns("{\"wakeup-suspend-support\": " + wakeupSupport + "}"));
    on(
        "add-fd",
        (r, x) -> {
          if (r.fileDescriptors() == 0) {
            x.error("GenericError", "No file descriptor supplied via SCM_RIGHTS");
            return;
          }
          addFdset(r);
          int id = fdsetIds.get() - 1;
          x.returns("{\"fdset-id\": " + id + ", \"fd\": " + (30 + id) + "}");
        });
    on(
        "remove-fd",
        (r, x) -> {
          fdsets.remove(r.arguments().path("fdset-id").asLong());
          x.returns("{}");
        });
    on(
        "query-fdsets",
        (r, x) -> {
          ArrayNode a = JSON.createArrayNode();
          fdsets.forEach(
              (id, opaque) -> {
                ObjectNode set = a.addObject().put("fdset-id", id);
                set.putArray("fds").addObject().put("fd", 30 + id).put("opaque", opaque);
              });
          x.returns(a.toString());
        });
    on(
        "migrate",
        (r, x) -> {
          migrateArrived.countDown();
          migrate.run(this, r, x);
        });
    on("migrate-incoming", (r, x) -> migrateIncoming.run(this, r, x));
    on(
        "migrate_cancel",
        (r, x) -> {
          x.returns("{}");
          if (isActive()) {
            migration = "cancelling";
            x.event("MIGRATION", "{\"status\": \"cancelling\"}");
            endMigration(x, "cancelled", null);
          }
        });
    on(
        "cont",
        (r, x) -> {
          if (runState.equals("postmigrate") && vmOldState.equals("suspended")) {
            aborted = true;
            x.disconnect();
            return;
          }
          if (runState.equals("inmigrate")) {
            x.returns("{}");
            return;
          }
          if (!runState.equals("running")) {
            runState = "running";
            x.returns("{}");
            x.event("RESUME", null);
          } else {
            x.returns("{}");
          }
        });
    on(
        "stop",
        (r, x) -> {
          if (runState.equals("running")) {
            runState = "paused";
            x.event("STOP", null);
          }
          x.returns("{}");
        });
    on(
        "system_wakeup",
        (r, x) -> {
          if (!runState.equals("suspended")) {
            x.error("GenericError", "Unable to wake up: guest is not in suspended state");
            return;
          }
          x.returns("{}");
          runState = "running";
          x.event("WAKEUP", null);
        });
    on(
        "quit",
        (r, x) -> {
          x.event("SHUTDOWN", "{\"guest\": false, \"reason\": \"host-qmp-quit\"}");
          x.returns("{}");
          x.disconnect();
        });
  }

  /** Adds the descriptor of an {@code add-fd} request to a new fd set, as QEMU does. */
  void addFdset(Request r) {
    long id = fdsetIds.getAndIncrement();
    fdsets.put(id, String.valueOf(r.argument("opaque")));
  }

  QmpClient connect() {
    return QmpClient.connect(server.socketPath());
  }

  FakeQemu on(String command, Responder responder) {
    server.on(command, responder);
    return this;
  }

  /** The command names received, without the greeting negotiation. */
  List<String> commands() {
    return server.commandNames();
  }

  /** The commands received after the first {@code command}, which must have arrived. */
  List<String> commandsAfter(String command) {
    List<String> all = commands();
    int i = all.indexOf(command);
    if (i < 0) {
      throw new AssertionError(command + " was never sent: " + all);
    }
    return all.subList(i + 1, all.size());
  }

  /** The requests of one command, in order. */
  List<Request> requests(String command) {
    List<Request> out = new ArrayList<>();
    for (Request r : server.requests()) {
      if (r.command().equals(command)) {
        out.add(r);
      }
    }
    return out;
  }

  /** The guest enters S3: run state suspended, SUSPEND event. */
  void suspendGuest() {
    runState = "suspended";
    server.sendEvent("SUSPEND", null);
  }

  boolean isActive() {
    return List.of("setup", "active", "device", "cancelling").contains(migration);
  }

  // ------------------------------------------------------------------ migration scripts

  /** Starts an outgoing migration as QEMU 10 does in cpr-reboot mode: setup, STOP, reply. */
  void startMigration(Exchange x) {
    vmOldState = runState;
    migration = "setup";
    x.event("MIGRATION", "{\"status\": \"setup\"}");
    if (runState.equals("running") || runState.equals("suspended")) {
      x.event("STOP", null);
    }
    runState = "finish-migrate";
    x.returns("{}");
    migration = "active";
    x.event("MIGRATION", "{\"status\": \"active\"}");
  }

  /** Ends the migration: the event first, then the run state, as QEMU's main loop does. */
  void endMigration(Exchange x, String status, @Nullable String error) {
    migration = status;
    errorDesc = error;
    if (status.equals("completed")) {
      x.event("MIGRATION", "{\"status\": \"device\"}");
      x.event("MIGRATION", "{\"status\": \"completed\"}");
      runState = "postmigrate";
      return;
    }
    x.event("MIGRATION", "{\"status\": \"" + status + "\"}");
    runState = vmOldState;
    if (vmOldState.equals("running") || vmOldState.equals("suspended")) {
      x.event("RESUME", null);
    }
  }

  static Script complete() {
    return (q, r, x) -> {
      q.startMigration(x);
      q.endMigration(x, "completed", null);
    };
  }

  /**
   * Completes the migration in QEMU, but the final {@code MIGRATION} events never reach the client
   * (dropped on the way): only {@code query-migrate} and {@code query-status} tell.
   */
  static Script completesSilently() {
    return (q, r, x) -> {
      q.startMigration(x);
      q.migration = "completed";
      q.runState = "postmigrate";
    };
  }

  static Script failsWith(String error) {
    return (q, r, x) -> {
      q.startMigration(x);
      q.endMigration(x, "failed", error);
    };
  }

  static Script commandError(String desc) {
    return (q, r, x) -> x.error("GenericError", desc);
  }

  /** Starts and never ends by itself (a migrate_cancel ends it). */
  static Script hangs() {
    return (q, r, x) -> q.startMigration(x);
  }

  static Script completesThen(Runnable after) {
    return (q, r, x) -> {
      q.startMigration(x);
      q.endMigration(x, "completed", null);
      after.run();
    };
  }

  /** A load that completes; the VM comes back {@code endState} (running emits RESUME first). */
  static Script incomingCompletes(String endState) {
    return (q, r, x) -> {
      q.migration = "setup";
      x.event("MIGRATION", "{\"status\": \"setup\"}");
      x.returns("{}");
      x.event("MIGRATION", "{\"status\": \"active\"}");
      if (endState.equals("running")) {
        x.event("RESUME", null);
      }
      q.runState = endState;
      q.migration = "completed";
      x.event("MIGRATION", "{\"status\": \"completed\"}");
    };
  }

  static Script incomingCompletes() {
    return incomingCompletes("running");
  }

  static Script incomingFails(String error) {
    return (q, r, x) -> {
      q.migration = "setup";
      x.event("MIGRATION", "{\"status\": \"setup\"}");
      x.returns("{}");
      q.migration = "failed";
      q.errorDesc = error;
      x.event("MIGRATION", "{\"status\": \"failed\"}");
    };
  }

  // ------------------------------------------------------------------ replies

  private String status() {
    return "{\"running\": " + runState.equals("running") + ", \"status\": \"" + runState + "\"}";
  }

  String migrationInfo() {
    ObjectNode o = JSON.createObjectNode();
    if (!migration.equals("none")) {
      o.put("status", migration);
    }
    if (errorDesc != null) {
      o.put("error-desc", errorDesc);
    }
    if (migration.equals("completed")) {
      o.put("downtime", 3).put("total-time", 5).put("setup-time", 1);
    }
    if (mode.equals("cpr-reboot") && !blockers.isEmpty()) {
      ArrayNode a = o.putArray("blocked-reasons");
      blockers.forEach(a::add);
    }
    return o.toString();
  }

  private void qomGet(Request r, Exchange x) {
    String path = String.valueOf(r.argument("path"));
    String property = String.valueOf(r.argument("property"));
    Integer s3 = disableS3;
    if (s3 != null
        && path.equals("/machine/unattached/device[2]")
        && property.equals("disable_s3")) {
      x.returns(String.valueOf(s3));
      return;
    }
    Integer piix4 = piix4DisableS3;
    if (piix4 != null
        && path.equals("/machine/unattached/device[3]/pm")
        && property.equals("disable_s3")) {
      x.returns(String.valueOf(piix4));
      return;
    }
    for (Memdev m : memdevs) {
      if (path.equals("/objects/" + m.id())) {
        if (m.qomFails()) {
          x.error("GenericError", "Device '" + path + "' not found");
          return;
        }
        switch (property) {
          case "type":
            x.returns("\"" + m.type() + "\"");
            return;
          case "mem-path":
            if (m.memPath() != null) {
              x.returns(JSON.valueToTree(m.memPath()).toString());
              return;
            }
            break;
          case "discard-data":
            if (m.type().equals("memory-backend-file")) {
              x.returns(String.valueOf(m.discardData()));
              return;
            }
            break;
          case "share":
            x.returns(String.valueOf(m.share()));
            return;
          default:
            break;
        }
        x.error("GenericError", "Property '" + m.type() + "." + property + "' not found");
        return;
      }
    }
    x.error("GenericError", "Device '" + path + "' not found");
  }

  private String schema() {
    ArrayNode a = JSON.createArrayNode();
    a.addObject()
        .put("name", "migrate-set-parameters")
        .put("meta-type", "command")
        .put("arg-type", "1")
        .put("ret-type", "0");
    ObjectNode params = a.addObject().put("name", "1").put("meta-type", "object");
    params
        .putArray("members")
        .addObject()
        .put("name", "mode")
        .put("type", "2")
        .put("default", (String) null);
    ObjectNode modeEnum = a.addObject().put("name", "2").put("meta-type", "enum");
    ArrayNode members = modeEnum.putArray("members");
    modes.forEach(m -> members.addObject().put("name", m));
    a.addObject()
        .put("name", "migrate-incoming")
        .put("meta-type", "command")
        .put("arg-type", "3")
        .put("ret-type", "0");
    ObjectNode incoming = a.addObject().put("name", "3").put("meta-type", "object");
    ArrayNode im = incoming.putArray("members");
    im.addObject().put("name", "uri").put("type", "str");
    im.addObject().put("name", "exit-on-error").put("type", "bool");
    a.addObject().put("name", "0").put("meta-type", "object").putArray("members");
    return a.toString();
  }

  @Override
  public void close() {
    server.close();
  }
}

package io.github.qemucpr.testing;

import io.github.qemucpr.testing.FakeQmpServer.Exchange;
import io.github.qemucpr.testing.FakeQmpServer.Request;
import io.github.qemucpr.testing.FakeQmpServer.Responder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A QEMU 10.0 simulated on top of {@link FakeQmpServer}, for testing code that drives CPR without a
 * QEMU. It keeps the run state, the migration mode and capabilities, the memory backends, the
 * migration status and the fd sets; answers the commands a CPR workflow sends from that state; and
 * emits the events real QEMU emits, in QEMU's order (for a completed save: {@code MIGRATION setup},
 * {@code STOP}, the reply, {@code active}, {@code device}, {@code completed}, then run state {@code
 * postmigrate}). What {@code migrate} and {@code migrate-incoming} do is a {@link Script}: {@link
 * #complete()}, {@link #failsWith(String)}, {@link #hangs()}, {@link #incomingCompletes()} and the
 * other factories here, or your own.
 *
 * <pre>{@code
 * try (FakeQemu qemu = FakeQemu.start()) {
 *   qemu.addMemdev(FakeQemu.Memdev.file("ram0", 64L << 20, Path.of("/dev/shm/ram0")));
 *   qemu.migrateScript(FakeQemu.failsWith("No space left on device"));
 *   try (QmpClient qmp = QmpClient.connect(qemu.socketPath())) {
 *     myManager.checkpoint(qmp);                 // the code under test
 *   }
 *   assertThat(qemu.runState()).isEqualTo("running");
 *   assertThat(qemu.mode()).isEqualTo("normal");
 *   assertThat(qemu.commandsAfter("migrate")).contains("migrate-set-parameters");
 * }
 * }</pre>
 *
 * <p>It starts as a running VM in migration mode {@code normal}, with every migration capability
 * off, no memory backend, and scripts that complete. Commands it does not simulate answer {@code
 * CommandNotFound}, as {@link FakeQmpServer} does; {@link #on} adds or replaces any responder, and
 * {@link #server()} gives the underlying server for one-shot replies and raw sends.
 *
 * <p>It refuses what QEMU 10 refuses, with QEMU's error class and text: {@code migrate} on a VM
 * waiting for an incoming migration or while one is active, or with {@code postcopy-ram}, {@code
 * dirty-bitmaps}, {@code background-snapshot} or {@code x-colo} in a {@code cpr-*} mode; {@code
 * migrate-incoming} on a QEMU not started with {@code -incoming defer} ({@link #runState(String)}
 * {@code inmigrate}) and a second one; an unknown mode or capability; {@code system_wakeup} on a
 * guest without wake-up support. {@code cont} leaves a suspended guest suspended, and {@code quit}
 * removes the monitor's socket file.
 *
 * <p>Threading: the server thread answers commands and runs the scripts while the test thread reads
 * and changes the state; every accessor here is safe from any thread. Each setter changes one
 * value, atomically; a script that needs several changes to look as one to the client makes them
 * before it replies, as QEMU's main loop does.
 */
public final class FakeQemu implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** Every migration capability QEMU 10.0 lists in {@code query-migrate-capabilities}, in order. */
  public static final List<String> ALL_CAPABILITIES =
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

  private static final List<String> ACTIVE = List.of("setup", "active", "device", "cancelling");

  /**
   * What {@code migrate} or {@code migrate-incoming} does: it replies through {@code exchange} and
   * changes the fake's state, as QEMU would. It runs on the server thread, so the next command is
   * read only when it returns; to act later, use {@link Exchange#later}.
   */
  @FunctionalInterface
  public interface Script {
    /**
     * Answers {@code request} on {@code qemu}.
     *
     * @param qemu the fake, whose state the script reads and changes
     * @param request the {@code migrate} or {@code migrate-incoming} request
     * @param exchange the connection to reply and send events on
     */
    void run(FakeQemu qemu, Request request, Exchange exchange);
  }

  /**
   * A memory backend, as {@code query-memdev} and {@code qom-get /objects/ID} show it.
   *
   * @param id the object's id
   * @param size its size in bytes
   * @param share whether it is {@code share=on}
   * @param type its QOM type, e.g. {@code memory-backend-file}
   * @param memPath the file of a file backend; {@code null} for others
   * @param discardData the {@code discard-data} property of a file backend
   * @param qomFails whether {@code qom-get} on it fails, as for an object QEMU cannot find
   */
  public record Memdev(
      String id,
      long size,
      boolean share,
      String type,
      @Nullable String memPath,
      boolean discardData,
      boolean qomFails) {
    /**
     * Checks the components.
     *
     * @throws NullPointerException if {@code id} or {@code type} is null
     */
    public Memdev {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(type, "type");
    }

    /**
     * A shared {@code memory-backend-file} on {@code memPath}.
     *
     * @param id the object's id
     * @param size its size in bytes
     * @param memPath its file
     * @return the backend
     */
    public static Memdev file(String id, long size, Path memPath) {
      return new Memdev(id, size, true, "memory-backend-file", memPath.toString(), false, false);
    }

    /**
     * A shared {@code memory-backend-memfd}.
     *
     * @param id the object's id
     * @param size its size in bytes
     * @return the backend
     */
    public static Memdev memfd(String id, long size) {
      return new Memdev(id, size, true, "memory-backend-memfd", null, false, false);
    }
  }

  private final FakeQmpServer server = FakeQmpServer.start();
  private volatile String runState = "running";
  private volatile String mode = "normal";
  // insertion order is the order QEMU lists them in; guarded by itself
  private final Map<String, Boolean> capabilities =
      Collections.synchronizedMap(new LinkedHashMap<>());
  private final List<Memdev> memdevs = new CopyOnWriteArrayList<>();
  // guarded by itself
  private final Map<String, String> peripherals =
      Collections.synchronizedMap(new LinkedHashMap<>());
  private final List<String> blockers = new CopyOnWriteArrayList<>();
  private volatile List<String> modes = List.of("normal", "cpr-reboot", "cpr-transfer");
  private volatile boolean schemaFails;
  private volatile boolean wakeupSupport = true;
  private volatile @Nullable Integer disableS3;
  private volatile @Nullable Integer piix4DisableS3;
  private volatile String migration = "none";
  private volatile @Nullable String errorDesc;
  private volatile String vmOldState = "running";
  private volatile Script migrate = complete();
  private volatile Script migrateIncoming = incomingCompletes();
  private final CountDownLatch migrateArrived = new CountDownLatch(1);
  private final AtomicInteger fdsetIds = new AtomicInteger();
  private final Map<Long, String> fdsets = new ConcurrentHashMap<>();
  private volatile boolean aborted;
  // as QEMU's -incoming defer: set by run state inmigrate, and migrate-incoming runs once
  private volatile boolean incomingDeferred;
  private volatile boolean incomingStarted;

  private FakeQemu() {
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
          capabilities().forEach((c, on) -> a.addObject().put("capability", c).put("state", on));
          x.returns(a.toString());
        });
    on("query-migrate-parameters", (r, x) -> x.returns("{\"mode\": \"" + mode + "\"}"));
    on(
        "migrate-set-parameters",
        (r, x) -> {
          if (migrationActive()) {
            x.error("GenericError", "There's a migration process in progress");
            return;
          }
          String m = r.argument("mode");
          if (m != null && !modes.contains(m)) {
            x.error("GenericError", "Parameter 'mode' does not accept value '" + m + "'");
            return;
          }
          if (m != null) {
            mode = m;
          }
          x.returns("{}");
        });
    on(
        "migrate-set-capabilities",
        (r, x) -> {
          if (migrationActive()) {
            x.error("GenericError", "There's a migration process in progress");
            return;
          }
          for (JsonNode c : r.arguments().path("capabilities")) {
            String name = c.path("capability").asString();
            if (!capabilities.containsKey(name)) {
              x.error(
                  "GenericError", "Parameter 'capability' does not accept value '" + name + "'");
              return;
            }
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
            peripherals()
                .forEach((name, type) -> a.addObject().put("name", name).put("type", type));
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
          long id = addFdset(r);
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
          String refusal = migrateRefusal();
          if (refusal != null) {
            x.error("GenericError", refusal);
            return;
          }
          migrate.run(this, r, x);
        });
    on(
        "migrate-incoming",
        (r, x) -> {
          if (!incomingDeferred) {
            x.error("GenericError", "'-incoming' was not specified on the command line");
            return;
          }
          if (incomingStarted) {
            x.error("GenericError", "The incoming migration has already been started");
            return;
          }
          incomingStarted = true;
          migrateIncoming.run(this, r, x);
        });
    on(
        "migrate_cancel",
        (r, x) -> {
          x.returns("{}");
          if (migrationActive()) {
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
          if (runState.equals("inmigrate") || runState.equals("suspended")) {
            x.returns("{}"); // QEMU: autostart later, or a suspended guest stays suspended
            return;
          }
          if (runState.equals("finish-migrate")) {
            x.error("GenericError", "Migration is not finalized yet");
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
          if (!wakeupSupport) {
            x.error("GenericError", "wake-up from suspend is not supported by this guest");
            return;
          }
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
          server.exit(); // QEMU exits: the monitor's socket file is gone
        });
  }

  /** Why QEMU 10's {@code migrate} refuses to start from this state, or {@code null}. */
  private @Nullable String migrateRefusal() {
    if (runState.equals("inmigrate")) {
      return "Guest is waiting for an incoming migration";
    }
    if (migrationActive()) {
      return "There's a migration process in progress";
    }
    if (!mode.equals("normal")) {
      Map<String, Boolean> caps = capabilities();
      String conflict = null;
      if (on(caps, "postcopy-ram") || on(caps, "dirty-bitmaps")) {
        conflict = "postcopy";
      } else if (on(caps, "background-snapshot")) {
        conflict = "background snapshot";
      } else if (on(caps, "x-colo")) {
        conflict = "COLO";
      }
      if (conflict != null) {
        return "Cannot use " + conflict + " with CPR";
      }
    }
    return null;
  }

  private static boolean on(Map<String, Boolean> caps, String name) {
    return Boolean.TRUE.equals(caps.get(name));
  }

  /**
   * Starts a fake QEMU on a fresh socket in a temporary directory: a running VM in migration mode
   * {@code normal}, every capability off, no memory backend, and scripts that complete.
   *
   * @return the fake; close it when done
   */
  public static FakeQemu start() {
    return new FakeQemu();
  }

  // ------------------------------------------------------------------ the connection

  /**
   * The QMP socket to connect to, e.g. with {@code QmpClient.connect(qemu.socketPath())}.
   *
   * @return the socket's path
   */
  public Path socketPath() {
    return server.socketPath();
  }

  /**
   * The underlying server: for one-shot replies ({@link FakeQmpServer#enqueue}), raw lines, the
   * greeting, or the number of connections.
   *
   * @return the server this fake answers on
   */
  public FakeQmpServer server() {
    return server;
  }

  /**
   * Answers every {@code command} with {@code responder} instead of the simulation (a one-shot
   * responder queued on {@link #server()} still goes first).
   *
   * @param command the QMP command's name
   * @param responder what to do when it arrives
   * @return this fake
   */
  public FakeQemu on(String command, Responder responder) {
    server.on(command, responder);
    return this;
  }

  // ------------------------------------------------------------------ what it received

  /**
   * The names of the commands received so far, in order, without {@code qmp_capabilities}.
   *
   * @return a copy
   */
  public List<String> commands() {
    return server.commandNames();
  }

  /**
   * The commands received after the first {@code command}.
   *
   * @param command a command that must have arrived
   * @return a copy of the names after it, in order
   * @throws AssertionError if {@code command} never arrived
   */
  public List<String> commandsAfter(String command) {
    List<String> all = commands();
    int i = all.indexOf(command);
    if (i < 0) {
      throw new AssertionError(command + " was never sent: " + all);
    }
    return all.subList(i + 1, all.size());
  }

  /**
   * The requests of one command received so far, in order.
   *
   * @param command the command's name
   * @return a copy; empty if it never arrived
   */
  public List<Request> requests(String command) {
    List<Request> out = new ArrayList<>();
    for (Request r : server.requests()) {
      if (r.command().equals(command)) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * Waits until the first {@code migrate} has arrived, for tests that act while it runs.
   *
   * @param timeout how long to wait at most
   * @return whether it arrived in time
   * @throws InterruptedException if the waiting thread is interrupted
   */
  public boolean awaitMigrate(Duration timeout) throws InterruptedException {
    return migrateArrived.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  // ------------------------------------------------------------------ the VM's state

  /**
   * The run state {@code query-status} reports, e.g. {@code running}, {@code paused}, {@code
   * suspended}, {@code inmigrate}, {@code postmigrate}.
   *
   * @return the run state
   */
  public String runState() {
    return runState;
  }

  /**
   * Sets the run state, without an event: {@code inmigrate} makes a QEMU started with {@code
   * -incoming defer}, the only state in which {@code migrate-incoming} is accepted, and once only,
   * as in QEMU. For the guest's own suspend, with its event, use {@link #suspendGuest()}.
   *
   * @param state QEMU's name of the run state
   * @return this fake
   */
  public FakeQemu runState(String state) {
    this.runState = Objects.requireNonNull(state, "state");
    if (state.equals("inmigrate")) {
      incomingDeferred = true;
    }
    return this;
  }

  /**
   * The guest enters S3: run state {@code suspended}, then the {@code SUSPEND} event to the client
   * if one is connected and negotiated (QEMU drops events no monitor is there to read); it needs no
   * client, and never waits for one.
   */
  public void suspendGuest() {
    runState = "suspended";
    server.emitEvent("SUSPEND", null);
  }

  /**
   * Whether QEMU would have aborted: {@code cont} after a completed migration of a suspended guest
   * ({@code invalid runstate transition: 'postmigrate' -> 'suspended'}). The fake then drops the
   * connection without a reply, as the dying QEMU does.
   *
   * @return whether it aborted
   */
  public boolean aborted() {
    return aborted;
  }

  /**
   * Sets what {@code query-current-machine} reports as {@code wakeup-suspend-support}.
   *
   * @param supported whether the machine can wake from suspend
   * @return this fake
   */
  public FakeQemu wakeupSupport(boolean supported) {
    this.wakeupSupport = supported;
    return this;
  }

  /**
   * Makes a q35 machine: its ICH9-LPC ({@code /machine/unattached/device[2]}) with property {@code
   * disable_s3}.
   *
   * @param value the property's value; {@code null}: no such device (the default)
   * @return this fake
   */
  public FakeQemu disableS3(@Nullable Integer value) {
    this.disableS3 = value;
    return this;
  }

  /**
   * Makes an i440fx machine: its PIIX4_PM, the child {@code pm} of the PIIX3 south bridge ({@code
   * /machine/unattached/device[3]/pm}), with property {@code disable_s3}.
   *
   * @param value the property's value; {@code null}: no such device (the default)
   * @return this fake
   */
  public FakeQemu piix4DisableS3(@Nullable Integer value) {
    this.piix4DisableS3 = value;
    return this;
  }

  /**
   * Adds a device under {@code /machine/peripheral}, as {@code qom-list} shows it.
   *
   * @param name the device's id, e.g. {@code hostdev0}
   * @param type its QOM child type, e.g. {@code child<vfio-pci>}
   * @return this fake
   */
  public FakeQemu addPeripheral(String name, String type) {
    peripherals.put(name, type);
    return this;
  }

  /**
   * The devices under {@code /machine/peripheral}.
   *
   * @return a copy, id to QOM child type, in the order added
   */
  public Map<String, String> peripherals() {
    synchronized (peripherals) {
      return Collections.unmodifiableMap(new LinkedHashMap<>(peripherals));
    }
  }

  // ------------------------------------------------------------------ memory backends

  /**
   * Adds a memory backend.
   *
   * @param memdev the backend
   * @return this fake
   */
  public FakeQemu addMemdev(Memdev memdev) {
    memdevs.add(Objects.requireNonNull(memdev, "memdev"));
    return this;
  }

  /**
   * Removes every memory backend.
   *
   * @return this fake
   */
  public FakeQemu clearMemdevs() {
    memdevs.clear();
    return this;
  }

  /**
   * The memory backends.
   *
   * @return a copy, in the order added
   */
  public List<Memdev> memdevs() {
    return List.copyOf(memdevs);
  }

  // ------------------------------------------------------------------ migration settings

  /**
   * The migration mode ({@code query-migrate-parameters}), e.g. {@code normal} or {@code
   * cpr-reboot}.
   *
   * @return the mode
   */
  public String mode() {
    return mode;
  }

  /**
   * Sets the migration mode, as if another client had set it.
   *
   * @param mode QEMU's name of the mode
   * @return this fake
   */
  public FakeQemu mode(String mode) {
    this.mode = Objects.requireNonNull(mode, "mode");
    return this;
  }

  /**
   * Sets the modes the schema ({@code query-qmp-schema}) lists for {@code MigMode}; by default
   * those of QEMU 10.0: {@code normal}, {@code cpr-reboot}, {@code cpr-transfer}.
   *
   * @param modes the modes
   * @return this fake
   */
  public FakeQemu modes(List<String> modes) {
    this.modes = List.copyOf(modes);
    return this;
  }

  /**
   * Makes {@code query-qmp-schema} fail with a {@code GenericError}.
   *
   * @param fails whether it fails
   * @return this fake
   */
  public FakeQemu schemaFails(boolean fails) {
    this.schemaFails = fails;
    return this;
  }

  /**
   * The migration capabilities, as {@code query-migrate-capabilities} lists them.
   *
   * @return a copy, capability to state, in QEMU's order
   */
  public Map<String, Boolean> capabilities() {
    synchronized (capabilities) {
      return Collections.unmodifiableMap(new LinkedHashMap<>(capabilities));
    }
  }

  /**
   * Sets a migration capability, as if another client had set it; an unknown one is added last.
   *
   * @param capability QEMU's name of the capability
   * @param on its state
   * @return this fake
   */
  public FakeQemu capability(String capability, boolean on) {
    capabilities.put(Objects.requireNonNull(capability, "capability"), on);
    return this;
  }

  /**
   * Removes a capability from the list, as in a QEMU that does not have it.
   *
   * @param capability QEMU's name of the capability
   * @return this fake
   */
  public FakeQemu removeCapability(String capability) {
    capabilities.remove(capability);
    return this;
  }

  /**
   * Adds a migration blocker: {@code query-migrate} lists it in {@code blocked-reasons} while the
   * mode is {@code cpr-reboot}.
   *
   * @param reason the blocker's text
   * @return this fake
   */
  public FakeQemu addMigrationBlocker(String reason) {
    blockers.add(Objects.requireNonNull(reason, "reason"));
    return this;
  }

  // ------------------------------------------------------------------ the migration

  /**
   * The migration status {@code query-migrate} reports: {@code none} before any migration, then
   * {@code setup}, {@code active}, {@code device}, {@code completed}, {@code failed}, {@code
   * cancelling} or {@code cancelled}.
   *
   * @return the status
   */
  public String migrationStatus() {
    return migration;
  }

  /**
   * Sets the migration status, without an event.
   *
   * @param status QEMU's name of the status
   * @return this fake
   */
  public FakeQemu migrationStatus(String status) {
    this.migration = Objects.requireNonNull(status, "status");
    return this;
  }

  /**
   * The {@code error-desc} {@code query-migrate} reports.
   *
   * @return the error, or {@code null} if none
   */
  public @Nullable String migrationError() {
    return errorDesc;
  }

  /**
   * Sets the {@code error-desc} {@code query-migrate} reports.
   *
   * @param error the error, or {@code null} for none
   * @return this fake
   */
  public FakeQemu migrationError(@Nullable String error) {
    this.errorDesc = error;
    return this;
  }

  /**
   * Whether a migration is in progress: status {@code setup}, {@code active}, {@code device} or
   * {@code cancelling}. Then {@code migrate-set-parameters} and {@code migrate-set-capabilities}
   * fail, as in QEMU.
   *
   * @return whether a migration is in progress
   */
  public boolean migrationActive() {
    return ACTIVE.contains(migration);
  }

  /**
   * The run state an outgoing migration that fails or is cancelled goes back to: the run state when
   * it started.
   *
   * @return the run state
   */
  public String runStateBeforeMigration() {
    return vmOldState;
  }

  /**
   * Sets the run state an outgoing migration that fails or is cancelled goes back to.
   *
   * @param state QEMU's name of the run state
   * @return this fake
   */
  public FakeQemu runStateBeforeMigration(String state) {
    this.vmOldState = Objects.requireNonNull(state, "state");
    return this;
  }

  /**
   * The reply {@code query-migrate} gives now, as JSON.
   *
   * @return the reply's {@code return} object
   */
  public String migrationInfo() {
    ObjectNode o = JSON.createObjectNode();
    String status = migration;
    if (!status.equals("none")) {
      o.put("status", status);
    }
    String error = errorDesc;
    if (error != null) {
      o.put("error-desc", error);
    }
    if (status.equals("completed")) {
      o.put("downtime", 3).put("total-time", 5).put("setup-time", 1);
    }
    if (mode.equals("cpr-reboot") && !blockers.isEmpty()) {
      ArrayNode a = o.putArray("blocked-reasons");
      blockers.forEach(a::add);
    }
    return o.toString();
  }

  /**
   * Sets what {@code migrate} does; by default {@link #complete()}.
   *
   * @param script the script
   * @return this fake
   */
  public FakeQemu migrateScript(Script script) {
    this.migrate = Objects.requireNonNull(script, "script");
    return this;
  }

  /**
   * What {@code migrate} does, e.g. to wrap it.
   *
   * @return the script
   */
  public Script migrateScript() {
    return migrate;
  }

  /**
   * Sets what {@code migrate-incoming} does; by default {@link #incomingCompletes()}.
   *
   * @param script the script
   * @return this fake
   */
  public FakeQemu incomingScript(Script script) {
    this.migrateIncoming = Objects.requireNonNull(script, "script");
    return this;
  }

  /**
   * What {@code migrate-incoming} does, e.g. to wrap it.
   *
   * @return the script
   */
  public Script incomingScript() {
    return migrateIncoming;
  }

  /**
   * Starts an outgoing migration as QEMU 10 does in {@code cpr-reboot} mode: status {@code setup}
   * and its event, {@code STOP} if the guest was running or suspended, run state {@code
   * finish-migrate}, the reply, then status {@code active} and its event. For scripts.
   *
   * @param x the {@code migrate} request's exchange
   */
  public void startMigration(Exchange x) {
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

  /**
   * Ends the outgoing migration: the events first, then the run state, as QEMU's main loop does.
   * {@code completed} sends {@code device} and {@code completed} and leaves run state {@code
   * postmigrate}; any other status sends its event and goes back to the run state before the
   * migration, with {@code RESUME} if the guest was running or suspended. For scripts.
   *
   * @param x the exchange to send the events on
   * @param status the final status, e.g. {@code completed}, {@code failed}, {@code cancelled}
   * @param error the {@code error-desc}, or {@code null}
   */
  public void endMigration(Exchange x, String status, @Nullable String error) {
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

  // ------------------------------------------------------------------ fd sets

  /**
   * Adds the descriptor of an {@code add-fd} request to a new fd set, as QEMU does, without a
   * reply: for a responder that replaces {@code add-fd}.
   *
   * @param request the {@code add-fd} request
   * @return the new fd set's id
   */
  public long addFdset(Request request) {
    long id = fdsetIds.getAndIncrement();
    fdsets.put(id, String.valueOf(request.argument("opaque")));
    return id;
  }

  /**
   * The fd sets QEMU holds.
   *
   * @return a copy, fd set id to the {@code opaque} note of its descriptor
   */
  public Map<Long, String> fdsets() {
    return Map.copyOf(fdsets);
  }

  // ------------------------------------------------------------------ scripts

  /**
   * A {@code migrate} that completes: {@link #startMigration}, then {@link #endMigration} with
   * {@code completed}.
   *
   * @return the script
   */
  public static Script complete() {
    return new Named(
        "complete()",
        (q, r, x) -> {
          q.startMigration(x);
          q.endMigration(x, "completed", null);
        });
  }

  /**
   * A {@code migrate} that completes in QEMU, but whose final {@code MIGRATION} events never reach
   * the client (dropped on the way): only {@code query-migrate} and {@code query-status} tell.
   *
   * @return the script
   */
  public static Script completesSilently() {
    return new Named(
        "completesSilently()",
        (q, r, x) -> {
          q.startMigration(x);
          q.migration = "completed";
          q.runState = "postmigrate";
        });
  }

  /**
   * A {@code migrate} that starts, then fails with {@code error}; the guest goes back to its run
   * state.
   *
   * @param error the {@code error-desc}, e.g. {@code No space left on device}
   * @return the script
   */
  public static Script failsWith(String error) {
    return new Named(
        "failsWith(" + error + ")",
        (q, r, x) -> {
          q.startMigration(x);
          q.endMigration(x, "failed", error);
        });
  }

  /**
   * A command that QEMU refuses at once: a {@code GenericError} reply, nothing started.
   *
   * @param desc the error's text
   * @return the script
   */
  public static Script commandError(String desc) {
    return new Named("commandError(" + desc + ")", (q, r, x) -> x.error("GenericError", desc));
  }

  /**
   * A {@code migrate} that starts and never ends by itself; a {@code migrate_cancel} ends it.
   *
   * @return the script
   */
  public static Script hangs() {
    return new Named("hangs()", (q, r, x) -> q.startMigration(x));
  }

  /**
   * A {@code migrate} that completes, then runs {@code after} on the server thread.
   *
   * @param after what to do once the migration completed, e.g. damage the state file
   * @return the script
   */
  public static Script completesThen(Runnable after) {
    return new Named(
        "completesThen(...)",
        (q, r, x) -> {
          q.startMigration(x);
          q.endMigration(x, "completed", null);
          after.run();
        });
  }

  /**
   * A {@code migrate-incoming} whose load completes: status {@code setup} and its event, the reply,
   * {@code active}, then the VM comes back {@code endState} ({@code running} sends {@code RESUME}
   * first) and {@code completed}.
   *
   * @param endState the run state after the load, e.g. {@code running} or {@code suspended}
   * @return the script
   */
  public static Script incomingCompletes(String endState) {
    return new Named(
        "incomingCompletes(" + endState + ")",
        (q, r, x) -> {
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
        });
  }

  /**
   * A {@code migrate-incoming} whose load completes and leaves the guest running.
   *
   * @return the script
   */
  public static Script incomingCompletes() {
    return incomingCompletes("running");
  }

  /**
   * A {@code migrate-incoming} whose load fails with {@code error}; the run state stays.
   *
   * @param error the {@code error-desc}
   * @return the script
   */
  public static Script incomingFails(String error) {
    return new Named(
        "incomingFails(" + error + ")",
        (q, r, x) -> {
          q.migration = "setup";
          x.event("MIGRATION", "{\"status\": \"setup\"}");
          x.returns("{}");
          q.migration = "failed";
          q.errorDesc = error;
          x.event("MIGRATION", "{\"status\": \"failed\"}");
        });
  }

  /** A factory's script, named as it was made, so that it prints well in a failed assertion. */
  private record Named(String name, Script script) implements Script {
    @Override
    public void run(FakeQemu qemu, Request request, Exchange exchange) {
      script.run(qemu, request, exchange);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  // ------------------------------------------------------------------ replies

  private String status() {
    String state = runState;
    return "{\"running\": " + state.equals("running") + ", \"status\": \"" + state + "\"}";
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

  /**
   * The state in one line, for assertion messages.
   *
   * @return e.g. {@code FakeQemu[runState=running, mode=normal, migration=none, memdevs=[...],
   *     migrate=complete(), incoming=incomingCompletes(running), socket=...]}
   */
  @Override
  public String toString() {
    return "FakeQemu[runState="
        + runState
        + ", mode="
        + mode
        + ", migration="
        + migration
        + (errorDesc == null ? "" : ", error=" + errorDesc)
        + ", memdevs="
        + memdevs
        + ", migrate="
        + migrate
        + ", incoming="
        + migrateIncoming
        + ", socket="
        + server.socketPath()
        + "]";
  }

  /** Closes the connection and the socket, and deletes the socket's temporary directory. */
  @Override
  public void close() {
    server.close();
  }
}

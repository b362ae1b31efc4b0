package io.github.qemucpr.qmp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.EventWait;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpCommand;
import io.github.qemucpr.qmp.QmpCommandException;
import io.github.qemucpr.qmp.QmpCommandNotFoundException;
import io.github.qemucpr.qmp.QmpErrorClass;
import io.github.qemucpr.qmp.QmpGreeting;
import io.github.qemucpr.qmp.command.AddFd;
import io.github.qemucpr.qmp.command.AddFdInfo;
import io.github.qemucpr.qmp.command.CloseFd;
import io.github.qemucpr.qmp.command.CommandInfo;
import io.github.qemucpr.qmp.command.Cont;
import io.github.qemucpr.qmp.command.CurrentMachine;
import io.github.qemucpr.qmp.command.FdsetInfo;
import io.github.qemucpr.qmp.command.GetFd;
import io.github.qemucpr.qmp.command.HumanMonitorCommand;
import io.github.qemucpr.qmp.command.MemoryBackend;
import io.github.qemucpr.qmp.command.MigrateSetCapabilities;
import io.github.qemucpr.qmp.command.MigrateSetParameters;
import io.github.qemucpr.qmp.command.MigrationCapability;
import io.github.qemucpr.qmp.command.MigrationCapabilityStatus;
import io.github.qemucpr.qmp.command.MigrationInfo;
import io.github.qemucpr.qmp.command.MigrationMode;
import io.github.qemucpr.qmp.command.MigrationParameters;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.ObjectPropertyInfo;
import io.github.qemucpr.qmp.command.PciBus;
import io.github.qemucpr.qmp.command.PciDevice;
import io.github.qemucpr.qmp.command.QmpSchema;
import io.github.qemucpr.qmp.command.QomGet;
import io.github.qemucpr.qmp.command.QomList;
import io.github.qemucpr.qmp.command.QueryCommands;
import io.github.qemucpr.qmp.command.QueryCurrentMachine;
import io.github.qemucpr.qmp.command.QueryFdsets;
import io.github.qemucpr.qmp.command.QueryMemdev;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.QueryMigrateCapabilities;
import io.github.qemucpr.qmp.command.QueryMigrateParameters;
import io.github.qemucpr.qmp.command.QueryPci;
import io.github.qemucpr.qmp.command.QueryQmpSchema;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.QueryVersion;
import io.github.qemucpr.qmp.command.RemoveFd;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.command.RunStatus;
import io.github.qemucpr.qmp.command.Stop;
import io.github.qemucpr.qmp.command.SystemPowerdown;
import io.github.qemucpr.qmp.command.SystemReset;
import io.github.qemucpr.qmp.command.SystemWakeup;
import io.github.qemucpr.qmp.command.VersionInfo;
import io.github.qemucpr.qmp.event.PowerdownEvent;
import io.github.qemucpr.qmp.event.ResetEvent;
import io.github.qemucpr.qmp.event.ResumeEvent;
import io.github.qemucpr.qmp.event.StopEvent;
import io.github.qemucpr.qmp.testing.QemuProcess;
import java.io.FileOutputStream;
import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Every typed command against one real QEMU 10. Tests that change the VM or the migration settings
 * put them back, so that they do not depend on their order.
 */
class QmpCommandsIT {
  private static final Duration EVENT_TIMEOUT = Duration.ofSeconds(5);

  private static QemuProcess qemu;
  private static QmpClient qmp;

  @TempDir Path tmp;

  @BeforeAll
  static void startQemu() {
    qemu =
        QemuProcess.builder()
            .name("commands-it")
            .extraArgs(
                "-device", "pci-bridge,id=br0,chassis_nr=1",
                "-device", "virtio-rng-pci,id=rng0,bus=br0,addr=1")
            .start();
    qmp = qemu.connect();
  }

  @AfterAll
  static void stopQemu() {
    if (qmp != null) {
      qmp.close();
    }
    if (qemu != null) {
      qemu.close();
    }
  }

  @Test
  void greetingCarriesVersionAndCapabilities() {
    QmpGreeting greeting = qmp.greeting();
    assertThat(greeting.version().isAtLeast(10, 0)).as("version %s", greeting.version()).isTrue();
    assertThat(greeting.capabilities()).contains("oob");
    assertThat(greeting.packageName()).isNotBlank();
  }

  @Test
  void queryVersionMatchesTheGreetingAndDecodesPackage() {
    VersionInfo version = qmp.execute(new QueryVersion());
    assertThat(version.qemu()).isEqualTo(qmp.greeting().version());
    assertThat(version.packageName()).isEqualTo(qmp.greeting().packageName());
  }

  @Test
  void queryStatusSaysRunning() {
    assertThat(qmp.execute(new QueryStatus())).isEqualTo(new RunStatus(true, RunState.RUNNING));
  }

  @Test
  void queryMemdevDescribesTheSharedFileBackend() {
    List<MemoryBackend> backends = qmp.execute(new QueryMemdev());
    assertThat(backends).hasSize(1);
    MemoryBackend ram = backends.get(0);
    assertThat(ram.id()).isEqualTo("ram0");
    assertThat(ram.size()).isEqualTo(64L << 20);
    assertThat(ram.share()).isTrue();
    assertThat(ram.prealloc()).isFalse();
    assertThat(ram.policy()).isEqualTo("default");
    assertThat(ram.hostNodes()).isEmpty();
    assertThat(ram.reserve()).isTrue();
  }

  @Test
  void queryMigrateBeforeAnyMigrationIsNone() {
    MigrationInfo info = qmp.execute(new QueryMigrate());
    assertThat(info.status()).isEqualTo(MigrationStatus.NONE);
    assertThat(info.errorDesc()).isNull();
    assertThat(info.ram()).isNull();
    assertThat(info.isBlocked()).isFalse();
  }

  @Test
  void blockedReasonsFollowTheModeThatIsSet() {
    try {
      // cpr-transfer needs every RAM region shared (aux-ram-share=on); the BIOS ROMs are not.
      qmp.execute(MigrateSetParameters.ofMode(MigrationMode.CPR_TRANSFER));
      assertThat(qmp.execute(new QueryMigrateParameters()).mode())
          .isEqualTo(MigrationMode.CPR_TRANSFER);
      MigrationInfo info = qmp.execute(new QueryMigrate());
      assertThat(info.blockedReasons())
          .isNotEmpty()
          .anySatisfy(r -> assertThat(r).contains("not compatible with CPR"));
      assertThat(info.isBlocked()).isTrue();
    } finally {
      qmp.execute(MigrateSetParameters.ofMode(MigrationMode.NORMAL));
    }
    assertThat(qmp.execute(new QueryMigrate()).blockedReasons()).isEmpty();
  }

  @Test
  void migrationCapabilitiesCanBeSetAndReadBack() {
    List<MigrationCapabilityStatus> before = qmp.execute(new QueryMigrateCapabilities());
    assertThat(before)
        .extracting(MigrationCapabilityStatus::capability)
        .contains(
            MigrationCapability.EVENTS,
            MigrationCapability.X_IGNORE_SHARED,
            MigrationCapability.POSTCOPY_RAM,
            MigrationCapability.MAPPED_RAM);
    assertThat(before).allSatisfy(c -> assertThat(c.state()).isFalse());

    Map<MigrationCapability, Boolean> on = new LinkedHashMap<>();
    on.put(MigrationCapability.EVENTS, true);
    on.put(MigrationCapability.X_IGNORE_SHARED, true);
    try {
      qmp.execute(MigrateSetCapabilities.of(on));
      assertThat(qmp.execute(new QueryMigrateCapabilities()))
          .contains(
              new MigrationCapabilityStatus(MigrationCapability.EVENTS, true),
              new MigrationCapabilityStatus(MigrationCapability.X_IGNORE_SHARED, true),
              new MigrationCapabilityStatus(MigrationCapability.POSTCOPY_RAM, false));
    } finally {
      qmp.execute(
          MigrateSetCapabilities.disable(
              MigrationCapability.EVENTS, MigrationCapability.X_IGNORE_SHARED));
    }
    assertThat(qmp.execute(new QueryMigrateCapabilities())).isEqualTo(before);
  }

  @Test
  void migrationParametersCanBeSetAndReadBack() {
    MigrationParameters before = qmp.execute(new QueryMigrateParameters());
    assertThat(before.mode()).isEqualTo(MigrationMode.NORMAL);
    assertThat(before.multifdChannels()).isEqualTo(2);
    assertThat(before.maxBandwidth()).isEqualTo(128L << 20);
    assertThat(before.downtimeLimit()).isEqualTo(300);
    assertThat(before.multifdCompression()).isEqualTo("none");
    if (qmp.greeting().version().isAtLeast(10, 2)) {
      assertThat(before.cprExecCommand()).as("cpr-exec came with QEMU 10.2").isEmpty();
    } else {
      assertThat(before.cprExecCommand()).as("cpr-exec came with QEMU 10.2").isNull();
    }
    try {
      qmp.execute(
          MigrateSetParameters.builder()
              .mode(MigrationMode.CPR_REBOOT)
              .multifdChannels(4)
              .downtimeLimit(500)
              .maxBandwidth(1L << 30)
              .build());
      MigrationParameters after = qmp.execute(new QueryMigrateParameters());
      assertThat(after.mode()).isEqualTo(MigrationMode.CPR_REBOOT);
      assertThat(after.multifdChannels()).isEqualTo(4);
      assertThat(after.downtimeLimit()).isEqualTo(500);
      assertThat(after.maxBandwidth()).isEqualTo(1L << 30);
      assertThat(after.xbzrleCacheSize()).isEqualTo(before.xbzrleCacheSize());
    } finally {
      qmp.execute(
          MigrateSetParameters.builder()
              .mode(MigrationMode.NORMAL)
              .multifdChannels(2)
              .downtimeLimit(300)
              .maxBandwidth(128L << 20)
              .build());
    }
    assertThat(qmp.execute(new QueryMigrateParameters())).isEqualTo(before);
  }

  @Test
  void queryCommandsListsTheCommandsTheSdkUses() {
    List<CommandInfo> commands = qmp.execute(new QueryCommands());
    assertThat(commands)
        .extracting(CommandInfo::name)
        .contains(
            "migrate",
            "migrate-incoming",
            "migrate_cancel",
            "getfd",
            "add-fd",
            "query-qmp-schema",
            "system_wakeup",
            "human-monitor-command")
        .doesNotHaveDuplicates();
  }

  @Test
  void querySchemaAnswersWhichValuesAnArgumentAccepts() {
    QmpSchema schema = qmp.execute(new QueryQmpSchema());
    assertThat(schema.entities()).hasSizeGreaterThan(500);
    assertThat(schema.toString()).startsWith("QmpSchema[").hasSizeLessThan(100);

    assertThat(schema.hasCommand("migrate-incoming")).isTrue();
    assertThat(schema.hasCommand("no-such-command")).isFalse();
    assertThat(schema.hasCommand("MIGRATION")).as("an event is not a command").isFalse();
    assertThat(schema.hasArgument("migrate-incoming", "exit-on-error")).isTrue();
    assertThat(schema.hasArgument("migrate", "channels")).isTrue();
    assertThat(schema.hasArgument("migrate", "no-such-argument")).isFalse();

    assertThat(schema.enumValuesOfArgument("migrate-set-parameters", "mode"))
        .hasValueSatisfying(
            v ->
                assertThat(v)
                    .contains("normal", "cpr-reboot", "cpr-transfer")
                    .startsWith("normal"));
    // A member only in a union's variants answers every branch's values: object-add's "policy"
    // is a host NUMA policy for memory backends, and deny/allow for authz-simple.
    assertThat(schema.enumValuesOfArgument("object-add", "policy"))
        .hasValueSatisfying(
            v -> assertThat(v).contains("default", "preferred", "bind", "interleave", "allow"));
    assertThat(schema.hasArgument("object-add", "mem-path")).isTrue();
    // The union's tag is an enum of every QOM type that object-add can create.
    assertThat(schema.enumValuesOfArgument("object-add", "qom-type"))
        .hasValueSatisfying(
            v -> assertThat(v).contains("memory-backend-file", "memory-backend-memfd"));
    // Not enums: a string/null alternate, a list of objects, an int, an unknown member or command.
    assertThat(schema.enumValuesOfArgument("migrate-set-parameters", "tls-creds")).isEmpty();
    assertThat(schema.enumValuesOfArgument("migrate", "channels")).isEmpty();
    assertThat(schema.enumValuesOfArgument("migrate-set-parameters", "multifd-channels")).isEmpty();
    assertThat(schema.enumValuesOfArgument("migrate-set-parameters", "no-such")).isEmpty();
    assertThat(schema.enumValuesOfArgument("no-such-command", "mode")).isEmpty();
  }

  @Test
  void queryCurrentMachineReportsWakeupSupport() {
    assertThat(qmp.execute(new QueryCurrentMachine())).isEqualTo(new CurrentMachine(true));
  }

  @Test
  void queryPciDecodesUnderscoredMembersAndBridges() throws InterruptedException {
    PciBus root = awaitFirmwareBusNumbering();
    PciDevice host = root.devices().get(0);
    assertThat(host.slot()).isZero();
    assertThat(host.classInfo()).isEqualTo(new PciDevice.ClassInfo(0x0600, "Host bridge"));
    assertThat(host.id().vendor()).isEqualTo(0x8086);
    assertThat(host.id().device()).isEqualTo(0x29c0);
    assertThat(host.qdevId()).isEmpty();

    PciDevice bridge = bridge(root);
    assertThat(bridge.classInfo().classCode()).isEqualTo(0x0604);
    assertThat(bridge.irqPin()).isEqualTo(1);
    assertThat(bridge.regions()).anySatisfy(r -> assertThat(r.memType64()).isTrue());
    assertThat(bridge.pciBridge().secondary()).isPositive();

    PciDevice rng = bridge.pciBridge().devices().get(0);
    assertThat(rng.qdevId()).isEqualTo("rng0");
    assertThat(rng.bus()).isEqualTo(bridge.pciBridge().secondary());
    assertThat(rng.id().vendor()).isEqualTo(0x1af4);
    assertThat(root.allDevices().map(PciDevice::qdevId)).contains("br0", "rng0");
  }

  /**
   * The firmware numbers the bus behind a bridge as it boots; until then QEMU lists no devices
   * behind it. Under TCG that takes a moment.
   */
  private static PciBus awaitFirmwareBusNumbering() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      List<PciBus> buses = qmp.execute(new QueryPci());
      assertThat(buses).hasSize(1);
      PciDevice.Bridge behind = bridge(buses.get(0)).pciBridge();
      assertThat(behind).isNotNull();
      if (!behind.devices().isEmpty() || System.nanoTime() > deadline) {
        return buses.get(0);
      }
      Thread.sleep(50);
    }
  }

  private static PciDevice bridge(PciBus root) {
    return root.devices().stream().filter(d -> d.qdevId().equals("br0")).findFirst().orElseThrow();
  }

  @Test
  void stopAndContEmitStopAndResume() {
    try (EventWait<StopEvent> stopped = qmp.expectEvent(StopEvent.class, e -> true)) {
      qmp.execute(new Stop());
      assertThat(stopped.await(EVENT_TIMEOUT).name()).isEqualTo("STOP");
    }
    assertThat(qmp.execute(new QueryStatus())).isEqualTo(new RunStatus(false, RunState.PAUSED));
    try (EventWait<ResumeEvent> resumed = qmp.expectEvent(ResumeEvent.class, e -> true)) {
      qmp.execute(new Cont());
      assertThat(resumed.await(EVENT_TIMEOUT).name()).isEqualTo("RESUME");
    }
    assertThat(qmp.execute(new QueryStatus())).isEqualTo(new RunStatus(true, RunState.RUNNING));
  }

  @Test
  void systemResetEmitsReset() {
    try (EventWait<ResetEvent> reset = qmp.expectEvent(ResetEvent.class, e -> true)) {
      qmp.execute(new SystemReset());
      ResetEvent event = reset.await(EVENT_TIMEOUT);
      assertThat(event.guest()).isFalse();
      assertThat(event.reason()).isEqualTo("host-qmp-system-reset");
    }
    assertThat(qmp.execute(new QueryStatus()).status()).isEqualTo(RunState.RUNNING);
  }

  @Test
  void systemPowerdownEmitsPowerdown() {
    try (EventWait<PowerdownEvent> powerdown = qmp.expectEvent(PowerdownEvent.class, e -> true)) {
      qmp.execute(new SystemPowerdown());
      assertThat(powerdown.await(EVENT_TIMEOUT).name()).isEqualTo("POWERDOWN");
    }
    // No guest OS answers the ACPI button, so the VM keeps running.
    assertThat(qmp.execute(new QueryStatus()).status()).isEqualTo(RunState.RUNNING);
  }

  @Test
  void systemWakeupIsRefusedForAGuestThatIsNotSuspended() {
    // Waking a suspended guest needs a guest OS to suspend; without one QEMU 10 refuses.
    assertThatThrownBy(() -> qmp.execute(new SystemWakeup()))
        .isInstanceOfSatisfying(
            QmpCommandException.class,
            e -> {
              assertThat(e.errorClass()).isEqualTo(QmpErrorClass.GENERIC_ERROR);
              assertThat(e.description()).contains("not in suspended state");
            });
    assertThat(qmp.execute(new QueryStatus()).status()).isEqualTo(RunState.RUNNING);
  }

  @Test
  void qomListAndQomGetReadTheMemoryBackend() {
    List<ObjectPropertyInfo> properties = qmp.execute(new QomList("/objects/ram0"));
    assertThat(properties)
        .extracting(ObjectPropertyInfo::name)
        .contains("mem-path", "size", "share", "discard-data");
    assertThat(properties)
        .filteredOn(p -> p.name().equals("share"))
        .singleElement()
        .satisfies(p -> assertThat(p.type()).isEqualTo("bool"));
    assertThat(qmp.execute(new QomList("/machine")))
        .filteredOn(ObjectPropertyInfo::isChild)
        .extracting(ObjectPropertyInfo::name)
        .contains("peripheral", "unattached");

    JsonNode memPath = qmp.execute(new QomGet("/objects/ram0", "mem-path"));
    assertThat(memPath.stringValue()).isEqualTo(qemu.memoryFile().orElseThrow().toString());
    assertThat(qmp.execute(new QomGet("/objects/ram0", "share").as(Boolean.class))).isTrue();
    assertThat(qmp.execute(new QomGet("/objects/ram0", "size").as(Long.class)))
        .isEqualTo(64L << 20);
    assertThat(qmp.execute(new QomGet("/machine", "type").as(String.class))).startsWith("pc-q35-");
  }

  @Test
  void humanMonitorCommandReturnsText() {
    assertThat(qmp.execute(new HumanMonitorCommand("info status")))
        .isEqualTo("VM status: running\r\n");
  }

  @Test
  void unknownCommandMapsToCommandNotFound() {
    assertThatThrownBy(() -> qmp.execute("no-such-command", null))
        .isInstanceOfSatisfying(
            QmpCommandNotFoundException.class,
            e -> {
              assertThat(e.errorClassName()).isEqualTo("CommandNotFound");
              assertThat(e.errorClass()).isEqualTo(QmpErrorClass.COMMAND_NOT_FOUND);
              assertThat(e.command()).isEqualTo("no-such-command");
              assertThat(e.description()).contains("no-such-command");
            });
    QmpCommand<Void> typed =
        new QmpCommand<>() {
          @Override
          public String name() {
            return "x-no-such-typed-command";
          }

          @Override
          public Type replyType() {
            return Void.class;
          }
        };
    assertThatThrownBy(() -> qmp.execute(typed)).isInstanceOf(QmpCommandNotFoundException.class);
    assertThat(qmp.isOpen()).isTrue();
  }

  @Test
  void getfdPassesARealDescriptorAndClosefdReleasesIt() throws IOException {
    Path file = tmp.resolve("getfd-target");
    try (FileOutputStream out = new FileOutputStream(file.toFile())) {
      qmp.execute(new GetFd("it-fd", out.getFD()));
    }
    // Our copy is closed; QEMU holds its own.
    assertThat(openFilesOfQemu()).contains(file);
    qmp.execute(new CloseFd("it-fd"));
    assertThat(openFilesOfQemu()).doesNotContain(file);
    assertThatThrownBy(() -> qmp.execute(new CloseFd("it-fd")))
        .isInstanceOfSatisfying(
            QmpCommandException.class,
            e -> assertThat(e.errorClass()).isEqualTo(QmpErrorClass.GENERIC_ERROR));
  }

  @Test
  void addFdQueryFdsetsAndRemoveFd() throws IOException {
    Path file = tmp.resolve("add-fd-target");
    AddFdInfo added;
    try (FileOutputStream out = new FileOutputStream(file.toFile())) {
      added = qmp.execute(new AddFd(null, "it-opaque", out.getFD()));
    }
    assertThat(added.fd()).isGreaterThan(2);
    assertThat(added.path()).isEqualTo("/dev/fdset/" + added.fdsetId());
    assertThat(openFilesOfQemu()).contains(file);

    List<FdsetInfo> sets = qmp.execute(new QueryFdsets());
    assertThat(sets)
        .filteredOn(s -> s.fdsetId() == added.fdsetId())
        .singleElement()
        .satisfies(
            s -> assertThat(s.fds()).containsExactly(new FdsetInfo.Fd(added.fd(), "it-opaque")));

    qmp.execute(new RemoveFd(added.fdsetId(), added.fd()));
    assertThat(qmp.execute(new QueryFdsets())).noneMatch(s -> s.fdsetId() == added.fdsetId());
    assertThat(openFilesOfQemu()).doesNotContain(file);
  }

  /** The files QEMU has open, from /proc. */
  private static List<Path> openFilesOfQemu() throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(qemu.pid()), "fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          files.add(Files.readSymbolicLink(fd));
        } catch (IOException e) {
          // The descriptor closed while we listed them.
        }
      }
    }
    return files;
  }
}

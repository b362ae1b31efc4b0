package io.github.qemucpr.qmp.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.QemuVersion;
import io.github.qemucpr.qmp.QmpCommand;
import io.github.qemucpr.qmp.QmpProtocolException;
import io.github.qemucpr.qmp.internal.codec.QmpJsonModule;
import io.github.qemucpr.qmp.internal.codec.Replies;
import io.github.qemucpr.qmp.internal.wire.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Replies decoded as the client decodes them, from JSON that QEMU 10.0.2 really sent (plus
 * variations a newer or older QEMU may send).
 */
class ReplyDecodingTest {
  private static final JsonCodec CODEC = new JsonCodec(new QmpJsonModule());

  private static <R> R decode(QmpCommand<R> command, String json) {
    return Replies.decode(
        CODEC.parse(json.getBytes(StandardCharsets.UTF_8)),
        command.replyType(),
        command.name(),
        CODEC);
  }

  @Test
  void versionInfoMapsPackage() {
    VersionInfo v =
        decode(
            new QueryVersion(),
            "{\"qemu\": {\"micro\": 2, \"minor\": 0, \"major\": 10},"
                + " \"package\": \"Debian 1:10.0.2+ds-2+deb13u1~bpo12+1\"}");
    assertThat(v)
        .isEqualTo(
            new VersionInfo(new QemuVersion(10, 0, 2), "Debian 1:10.0.2+ds-2+deb13u1~bpo12+1"));
    assertThat(
            decode(new QueryVersion(), "{\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 11}}"))
        .isEqualTo(new VersionInfo(new QemuVersion(11, 2, 0), ""));
    assertThatThrownBy(() -> decode(new QueryVersion(), "{\"package\": \"x\"}"))
        .isInstanceOf(QmpProtocolException.class)
        .hasMessageContaining("qemu");
  }

  @Test
  void runStatusKeepsUnknownStates() {
    assertThat(decode(new QueryStatus(), "{\"status\": \"running\", \"running\": true}"))
        .isEqualTo(new RunStatus(true, RunState.RUNNING));
    RunStatus future =
        decode(
            new QueryStatus(), "{\"status\": \"x-hibernating\", \"running\": false, \"new\": 1}");
    assertThat(future.status().wireName()).isEqualTo("x-hibernating");
  }

  @Test
  void memoryBackends() {
    List<MemoryBackend> list =
        decode(
            new QueryMemdev(),
            "[{\"share\": true, \"reserve\": true, \"prealloc\": false, \"host-nodes\": [],"
                + " \"size\": 67108864, \"merge\": true, \"dump\": true, \"policy\": \"default\","
                + " \"id\": \"ram0\"}]");
    assertThat(list)
        .containsExactly(
            new MemoryBackend(
                "ram0", 64L << 20, true, true, false, true, true, List.of(), "default"));
    // QEMU before 2.11 had no id, before 6.1 no reserve.
    MemoryBackend old =
        decode(
                new QueryMemdev(),
                "[{\"share\": false, \"prealloc\": false, \"host-nodes\": [0, 1], \"size\": 1024,"
                    + " \"merge\": false, \"dump\": false, \"policy\": \"bind\"}]")
            .get(0);
    assertThat(old.id()).isNull();
    assertThat(old.reserve()).isNull();
    assertThat(old.hostNodes()).containsExactly(0, 1);
  }

  @Test
  void migrationInfoOfAnIdleQemuIsNone() {
    MigrationInfo idle = decode(new QueryMigrate(), "{}");
    assertThat(idle.status()).isEqualTo(MigrationStatus.NONE);
    assertThat(idle.blockedReasons()).isEmpty();
    assertThat(idle.errorDesc()).isNull();
    assertThat(idle.ram()).isNull();
    assertThat(idle.totalTime()).isNull();
  }

  @Test
  void migrationInfoOfACompletedMigration() {
    MigrationInfo done =
        decode(
            new QueryMigrate(),
            "{\"status\": \"completed\", \"setup-time\": 0, \"downtime\": 1, \"total-time\": 50,"
                + " \"ram\": {\"total\": 67641344, \"postcopy-requests\": 0, \"dirty-sync-count\": 2,"
                + " \"multifd-bytes\": 0, \"pages-per-second\": 0, \"downtime-bytes\": 95963,"
                + " \"page-size\": 4096, \"remaining\": 0, \"postcopy-bytes\": 0,"
                + " \"mbps\": 128.73680000000002, \"transferred\": 804605,"
                + " \"dirty-sync-missed-zero-copy\": 0, \"precopy-bytes\": 631926,"
                + " \"duplicate\": 16570, \"dirty-pages-rate\": 0, \"normal-bytes\": 577536,"
                + " \"normal\": 141}}");
    assertThat(done.status()).isEqualTo(MigrationStatus.COMPLETED);
    assertThat(done.totalTime()).isEqualTo(50);
    assertThat(done.downtime()).isEqualTo(1);
    assertThat(done.setupTime()).isZero();
    assertThat(done.ram())
        .isEqualTo(
            new MigrationRamStats(
                804605, 0, 67641344, 16570, 141, 577536, 2, 4096, 128.73680000000002));
  }

  @Test
  void migrationInfoOfAFailedAndABlockedMigration() {
    MigrationInfo failed =
        decode(
            new QueryMigrate(),
            "{\"status\": \"failed\", \"error-desc\": \"Capability x-ignore-shared is off, but"
                + " received capability is on\"}");
    assertThat(failed.status()).isEqualTo(MigrationStatus.FAILED);
    assertThat(failed.errorDesc()).startsWith("Capability x-ignore-shared is off");

    MigrationInfo blocked =
        decode(
            new QueryMigrate(),
            "{\"blocked-reasons\": [\"Memory region ram0 is not compatible with CPR.\"]}");
    assertThat(blocked.status()).isEqualTo(MigrationStatus.NONE);
    assertThat(blocked.isBlocked()).isTrue();
    assertThat(blocked.blockedReasons())
        .containsExactly("Memory region ram0 is not compatible with CPR.");

    assertThat(decode(new QueryMigrate(), "{\"status\": \"postcopy-recover-setup\"}").status())
        .isEqualTo(MigrationStatus.of("postcopy-recover-setup"));
  }

  @Test
  void migrationCapabilitiesKeepUnknownOnes() {
    List<MigrationCapabilityStatus> caps =
        decode(
            new QueryMigrateCapabilities(),
            "[{\"state\": false, \"capability\": \"xbzrle\"},"
                + " {\"state\": true, \"capability\": \"x-ignore-shared\"},"
                + " {\"state\": false, \"capability\": \"x-from-the-future\"}]");
    assertThat(caps)
        .containsExactly(
            new MigrationCapabilityStatus(MigrationCapability.XBZRLE, false),
            new MigrationCapabilityStatus(MigrationCapability.X_IGNORE_SHARED, true),
            new MigrationCapabilityStatus(MigrationCapability.of("x-from-the-future"), false));
  }

  @Test
  void migrationParameters() {
    MigrationParameters p =
        decode(
            new QueryMigrateParameters(),
            "{\"cpu-throttle-tailslow\": false, \"xbzrle-cache-size\": 67108864,"
                + " \"direct-io\": false, \"avail-switchover-bandwidth\": 0,"
                + " \"zero-page-detection\": \"multifd\", \"multifd-channels\": 2,"
                + " \"mode\": \"normal\", \"downtime-limit\": 300, \"tls-authz\": \"\","
                + " \"multifd-compression\": \"none\", \"max-bandwidth\": 134217728}");
    assertThat(p)
        .isEqualTo(
            new MigrationParameters(
                MigrationMode.NORMAL,
                2,
                134217728L,
                0L,
                300L,
                "none",
                "multifd",
                false,
                67108864L,
                null));
    MigrationParameters future =
        decode(
            new QueryMigrateParameters(),
            "{\"mode\": \"cpr-exec\", \"cpr-exec-command\": [\"/usr/bin/qemu\", \"-S\"]}");
    assertThat(future.mode()).isEqualTo(MigrationMode.CPR_EXEC);
    assertThat(future.cprExecCommand()).containsExactly("/usr/bin/qemu", "-S");
    assertThat(future.multifdChannels()).isNull();
  }

  @Test
  void smallReplies() {
    assertThat(decode(new QueryCommands(), "[{\"name\": \"device_add\"}, {\"name\": \"quit\"}]"))
        .containsExactly(new CommandInfo("device_add"), new CommandInfo("quit"));
    assertThat(decode(new QueryCurrentMachine(), "{\"wakeup-suspend-support\": true}"))
        .isEqualTo(new CurrentMachine(true));
    assertThat(
            decode(
                new AddFd(null, null, java.io.FileDescriptor.out), "{\"fdset-id\": 0, \"fd\": 25}"))
        .isEqualTo(new AddFdInfo(0, 25));
    assertThat(
            decode(
                new QueryFdsets(),
                "[{\"fdset-id\": 1, \"fds\": [{\"fd\": 25, \"opaque\": \"state\"}, {\"fd\": 26}]}]"))
        .containsExactly(
            new FdsetInfo(1, List.of(new FdsetInfo.Fd(25, "state"), new FdsetInfo.Fd(26, null))));
    assertThat(
            decode(
                new QomList("/machine"),
                "[{\"name\": \"type\", \"type\": \"string\"},"
                    + " {\"name\": \"peripheral\", \"type\": \"child<container>\"}]"))
        .containsExactly(
            new ObjectPropertyInfo("type", "string", null),
            new ObjectPropertyInfo("peripheral", "child<container>", null));
    assertThat(decode(new HumanMonitorCommand("info status"), "\"VM status: running\\r\\n\""))
        .isEqualTo("VM status: running\r\n");
    assertThat(decode(new QomGet("/objects/ram0", "size").as(Long.class), "67108864"))
        .isEqualTo(67108864L);
    assertThat(decode(new QomGet("/machine", "type"), "\"pc-q35-10.0-machine\"").stringValue())
        .isEqualTo("pc-q35-10.0-machine");
    assertThat(decode(new Stop(), "{}")).isNull();
  }

  @Test
  void pciDevicesWithUnderscoredMembersAndABridge() {
    List<PciBus> buses =
        decode(
            new QueryPci(),
            "[{\"bus\": 0, \"devices\": [{\"irq_pin\": 0, \"bus\": 0, \"qdev_id\": \"\","
                + " \"slot\": 0, \"class_info\": {\"class\": 1536, \"desc\": \"Host bridge\"},"
                + " \"id\": {\"device\": 10688, \"subsystem-vendor\": 6900, \"vendor\": 32902,"
                + " \"subsystem\": 4352}, \"function\": 0, \"regions\": []},"
                + " {\"irq_pin\": 1, \"bus\": 0, \"pci_bridge\": {\"bus\": {\"prefetchable_range\":"
                + " {\"limit\": 4273995775, \"base\": 4271898624}, \"memory_range\": {\"limit\":"
                + " 4269801471, \"base\": 4267704320}, \"secondary\": 1, \"io_range\": {\"limit\":"
                + " 53247, \"base\": 49152}, \"number\": 0, \"subordinate\": 1}, \"devices\":"
                + " [{\"irq_pin\": 1, \"bus\": 1, \"qdev_id\": \"rng0\", \"irq\": 0, \"slot\": 1,"
                + " \"class_info\": {\"class\": 255}, \"id\": {\"device\": 4101,"
                + " \"subsystem-vendor\": 6900, \"vendor\": 6900, \"subsystem\": 4},"
                + " \"function\": 0, \"regions\": [{\"bar\": 0, \"size\": 32, \"address\": -1,"
                + " \"type\": \"io\"}, {\"prefetch\": true, \"mem_type_64\": true, \"bar\": 4,"
                + " \"size\": 16384, \"address\": -1, \"type\": \"memory\"}]}]},"
                + " \"qdev_id\": \"br0\", \"irq\": 10, \"slot\": 1, \"class_info\": {\"class\":"
                + " 1540, \"desc\": \"PCI bridge\"}, \"id\": {\"device\": 1, \"vendor\": 6966},"
                + " \"function\": 0, \"regions\": [{\"prefetch\": false, \"mem_type_64\": true,"
                + " \"bar\": 0, \"size\": 256, \"address\": 4269801472, \"type\": \"memory\"}]}]}]");
    assertThat(buses).hasSize(1);
    PciBus root = buses.get(0);
    PciDevice host = root.devices().get(0);
    assertThat(host)
        .isEqualTo(
            new PciDevice(
                0,
                0,
                0,
                new PciDevice.ClassInfo(1536, "Host bridge"),
                new PciDevice.DeviceId(32902, 10688, 6900, 4352),
                null,
                0,
                "",
                null,
                List.of()));
    PciDevice bridge = root.devices().get(1);
    assertThat(bridge.qdevId()).isEqualTo("br0");
    assertThat(bridge.irq()).isEqualTo(10);
    assertThat(bridge.irqPin()).isEqualTo(1);
    assertThat(bridge.id()).isEqualTo(new PciDevice.DeviceId(6966, 1, null, null));
    assertThat(bridge.regions())
        .containsExactly(new PciDevice.Region(0, "memory", 4269801472L, 256, false, true));
    assertThat(bridge.pciBridge()).isNotNull();
    assertThat(bridge.pciBridge().secondary()).isEqualTo(1);
    PciDevice rng = bridge.pciBridge().devices().get(0);
    assertThat(rng.qdevId()).isEqualTo("rng0");
    assertThat(rng.classInfo()).isEqualTo(new PciDevice.ClassInfo(255, null));
    assertThat(rng.regions().get(0)).isEqualTo(new PciDevice.Region(0, "io", -1, 32, null, null));
    assertThat(root.allDevices().map(PciDevice::qdevId)).containsExactly("", "br0", "rng0");
  }

  @Test
  void aPciDeviceWithoutItsIdsIsAProtocolError() {
    assertThatThrownBy(
            () ->
                decode(
                    new QueryPci(),
                    "[{\"bus\": 0, \"devices\": [{\"bus\": 0, \"slot\": 0, \"function\": 0,"
                        + " \"class_info\": {\"class\": 1}, \"irq_pin\": 0, \"qdev_id\": \"\","
                        + " \"regions\": []}]}]"))
        .isInstanceOf(QmpProtocolException.class)
        .hasMessageContaining("'id'");
  }
}

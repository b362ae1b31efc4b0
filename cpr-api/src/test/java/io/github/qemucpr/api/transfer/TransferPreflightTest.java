package io.github.qemucpr.api.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.api.CprTransfer;
import io.github.qemucpr.api.PreflightCode;
import io.github.qemucpr.api.PreflightItem;
import io.github.qemucpr.api.PreflightItem.Severity;
import io.github.qemucpr.api.PreflightReport;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each transfer preflight item, through {@code check()}, against the fake pair. */
class TransferPreflightTest extends FakeTransferTest {

  private PreflightReport check() {
    return transfer().check();
  }

  private static PreflightItem only(PreflightReport report, PreflightCode code) {
    List<PreflightItem> items = report.items().stream().filter(i -> i.code() == code).toList();
    assertThat(items).as(report.toString()).hasSize(1);
    return items.get(0);
  }

  @Test
  void aGoodPairHasNoItemsAndCheckChangesNothing() {
    PreflightReport report = check();
    assertThat(report.items()).as(report.toString()).isEmpty();
    assertThat(report.memorySavedInPlace()).isTrue();
    assertThat(report.expectedStateFileBytes()).isZero();
    assertThat(report.suspendGuest()).isFalse();
    assertThat(pair.sourceCommands())
        .filteredOn(c -> !c.startsWith("query-") && !c.startsWith("qom-"))
        .containsExactly("migrate-set-parameters", "migrate-set-parameters");
    assertThat(pair.sourceRequests("migrate-set-parameters"))
        .extracting(r -> r.argument("mode"))
        .containsExactly("cpr-transfer", "normal");
    assertThat(pair.sourceRequests("qom-get"))
        .extracting(r -> r.argument("property"))
        .contains("aux-ram-share");
    assertThat(pair.mode).isEqualTo("normal");
    assertThat(pair.capabilities).doesNotContainValue(true);
    assertThat(pair.targetCommands()).isEmpty();
    assertThat(Files.exists(pair.targetQmp)).isFalse();
  }

  @Test
  void qemuWithoutCprTransfer() {
    pair.modes = List.of("normal", "cpr-reboot");
    PreflightItem item = only(check(), PreflightCode.CPR_TRANSFER_UNSUPPORTED);
    assertThat(item.isError()).isTrue();
    assertThat(item.message()).contains("no cpr-transfer migration mode", "[normal, cpr-reboot]");
    assertThat(item.fix()).contains("QEMU 10.0 or newer");
  }

  @Test
  void auxRamShareOff() {
    pair.auxRamShare = false;
    PreflightItem item = only(check(), PreflightCode.AUX_RAM_SHARE_OFF);
    assertThat(item.isError()).isTrue();
    assertThat(item.fix()).contains("-machine aux-ram-share=on");
  }

  @Test
  void privateRamCannotBeHandedOver() {
    pair.memfdShared = false;
    PreflightReport report = check();
    assertThat(only(report, PreflightCode.MEMORY_NOT_SHARED).message())
        .contains("ram0", "memory-backend-memfd", "share=off");
    assertThat(report.memorySavedInPlace()).isFalse();
  }

  @Test
  void discardDataWouldDestroyTheNewQemusRam() {
    pair.discardData = true;
    assertThat(only(check(), PreflightCode.MEMORY_DISCARD_DATA).message())
        .contains("when the old QEMU quits");
  }

  @Test
  void qemuBlockersForCprTransferAreErrors() {
    pair.blockers.add(
        "Memory region pc.bios is not compatible with CPR. share=on is required for"
            + " memory-backend objects, and aux-ram-share=on is required.");
    PreflightItem item = only(check(), PreflightCode.MIGRATION_BLOCKED);
    assertThat(item.message()).startsWith("QEMU blocks a cpr-transfer migration: Memory region");
    assertThat(pair.mode).isEqualTo("normal");
  }

  @Test
  void capabilitiesCprRefuses() {
    pair.capabilities.put("postcopy-ram", true);
    PreflightItem item = only(check(), PreflightCode.CAPABILITY_INCOMPATIBLE);
    assertThat(item.message()).contains("cpr-transfer refuses postcopy-ram");
  }

  @Test
  void vfioNeedsQemu101() {
    pair.peripherals.put("nic0", "child<vfio-pci>");
    assertThat(only(check(), PreflightCode.VFIO_NOT_TRANSFERABLE).subject())
        .isEqualTo("/machine/peripheral/nic0");
    pair.version = "{\"major\": 10, \"minor\": 1, \"micro\": 0}";
    PreflightReport newer = check();
    assertThat(newer.has(PreflightCode.VFIO_NOT_TRANSFERABLE)).isFalse();
    assertThat(newer.vfioDevices()).containsExactly("/machine/peripheral/nic0");
  }

  @Test
  void aCprChannelNobodyListensOn() throws IOException {
    PreflightReport report =
        CprTransfer.from(qmp)
            .cprChannel(dir.resolve("nobody.sock"))
            .mainChannel(pair.mainChannel)
            .targetQmp(pair.targetQmp)
            .check();
    PreflightItem item = only(report, PreflightCode.CPR_CHANNEL_NOT_LISTENING);
    assertThat(item.message()).contains("was not started yet");
    assertThat(item.fix()).contains("\"channel-type\":\"cpr\"", "nobody.sock", "-incoming defer");
    Path file = Files.createFile(dir.resolve("file.sock"));
    assertThat(
            only(
                    CprTransfer.from(qmp)
                        .cprChannel(file)
                        .mainChannel(pair.mainChannel)
                        .targetQmp(pair.targetQmp)
                        .check(),
                    PreflightCode.CPR_CHANNEL_NOT_LISTENING)
                .message())
        .contains("is not a socket");
  }

  @Test
  void socketPathsMustBeAbsoluteShortAndInADirectory() {
    Path longName = dir.resolve("x".repeat(110) + ".sock");
    PreflightReport report =
        CprTransfer.from(qmp)
            .cprChannel(pair.cprChannel)
            .mainChannel(Path.of("main.sock"))
            .targetQmp(longName)
            .check();
    assertThat(only(report, PreflightCode.CHANNEL_PATH_NOT_ABSOLUTE).subject())
        .isEqualTo("main.sock");
    assertThat(only(report, PreflightCode.CHANNEL_PATH_TOO_LONG).message())
        .contains("target QMP socket", "107");
    PreflightReport missing =
        CprTransfer.from(qmp)
            .cprChannel(pair.cprChannel)
            .mainChannel(dir.resolve("no/such/main.sock"))
            .targetQmp(pair.targetQmp)
            .check();
    assertThat(only(missing, PreflightCode.CHANNEL_DIRECTORY_MISSING).message())
        .contains("main channel");
  }

  @Test
  void conflictingPaths() throws IOException {
    PreflightReport same =
        CprTransfer.from(qmp)
            .cprChannel(pair.cprChannel)
            .mainChannel(pair.cprChannel)
            .targetQmp(pair.targetQmp)
            .check();
    assertThat(only(same, PreflightCode.CHANNEL_PATH_CONFLICT).message())
        .contains("cpr channel and the main channel are the same path");

    PreflightReport own =
        CprTransfer.from(qmp)
            .cprChannel(pair.cprChannel)
            .mainChannel(pair.mainChannel)
            .targetQmp(pair.source.socketPath())
            .check();
    assertThat(only(own, PreflightCode.CHANNEL_PATH_CONFLICT).message())
        .contains("the source's own QMP socket");

    Files.writeString(pair.mainChannel, "precious");
    assertThat(only(check(), PreflightCode.CHANNEL_PATH_CONFLICT).message())
        .contains("not a socket", "would delete it");
    Files.delete(pair.mainChannel);

    try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      live.bind(UnixDomainSocketAddress.of(pair.targetQmp));
      assertThat(only(check(), PreflightCode.CHANNEL_PATH_CONFLICT).message())
          .contains("A live monitor already listens");
    }
    // now a stale socket file, which the new QEMU replaces
    assertThat(check().items()).isEmpty();
    Files.delete(pair.targetQmp);
  }

  @Test
  void everyProblemAtOnce() {
    pair.auxRamShare = false;
    pair.memfdShared = false;
    pair.capabilities.put("x-colo", true);
    PreflightReport report =
        CprTransfer.from(qmp)
            .cprChannel(dir.resolve("nobody.sock"))
            .mainChannel(pair.mainChannel)
            .targetQmp(pair.targetQmp)
            .check();
    assertThat(report.errors())
        .extracting(PreflightItem::code)
        .containsExactlyInAnyOrder(
            PreflightCode.CAPABILITY_INCOMPATIBLE, PreflightCode.AUX_RAM_SHARE_OFF,
            PreflightCode.MEMORY_NOT_SHARED, PreflightCode.CPR_CHANNEL_NOT_LISTENING);
    assertThat(report.items()).allMatch(i -> i.severity() == Severity.ERROR);
  }
}

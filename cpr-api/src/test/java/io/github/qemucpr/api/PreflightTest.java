package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.api.PreflightItem.Severity;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.testing.FakeGuestAgent;
import io.github.qemucpr.testing.FakeGuestAgent.Action;
import io.github.qemucpr.testing.FakeQemu;
import io.github.qemucpr.testing.Responders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each preflight item, through {@link CprSaveBuilder#check()}, against a fake QEMU. */
class PreflightTest extends FakeQemuTest {

  private PreflightReport check() {
    return save().check();
  }

  private static PreflightItem only(PreflightReport report, PreflightCode code) {
    List<PreflightItem> items = report.items().stream().filter(i -> i.code() == code).toList();
    assertThat(items).as(report.toString()).hasSize(1);
    return items.get(0);
  }

  @Test
  void aGoodVmHasNoItemsAndCheckChangesNothing() {
    PreflightReport report = check();
    assertThat(report.items()).as(report.toString()).isEmpty();
    assertThat(report.hasErrors()).isFalse();
    assertThat(report.memorySavedInPlace()).isTrue();
    assertThat(report.vfioDevices()).isEmpty();
    assertThat(report.suspendGuest()).isFalse();
    assertThat(report.expectedStateFileBytes()).isEqualTo(32L << 20);
    assertThat(report.toString()).startsWith("Preflight of QEMU 10.0.2 (").contains("no problems");
    // Only queries, and the blocker probe that sets the mode and sets it back.
    assertThat(qemu.commands())
        .filteredOn(c -> !c.startsWith("query-") && !c.startsWith("qom-"))
        .containsExactly("migrate-set-parameters", "migrate-set-parameters");
    assertThat(qemu.requests("migrate-set-parameters"))
        .extracting(r -> r.argument("mode"))
        .containsExactly("cpr-reboot", "normal");
    assertThat(qemu.mode()).isEqualTo("normal");
    assertThat(qemu.capabilities()).doesNotContainValue(true);
    assertThat(stateFile.getParent()).isEmptyDirectory();
  }

  @Test
  void qemuWithoutCprRebootInItsSchema() {
    qemu.modes(List.of("normal"));
    PreflightItem item = only(check(), PreflightCode.CPR_REBOOT_UNSUPPORTED);
    assertThat(item.severity()).isEqualTo(Severity.ERROR);
    assertThat(item.message()).contains("[normal]");
    assertThat(qemu.commands()).doesNotContain("migrate-set-parameters"); // no probe
  }

  @Test
  void versionDecidesWhenTheSchemaCannotBeRead() {
    qemu.schemaFails(true);
    assertThat(check().has(PreflightCode.CPR_REBOOT_UNSUPPORTED)).isFalse(); // 10.0.2
    qemu.on(
        "query-version",
        Responders.returns(
            "{\"qemu\": {\"major\": 8, \"minor\": 2, \"micro\": 0}, \"package\": \"\"}"));
    assertThat(only(check(), PreflightCode.CPR_REBOOT_UNSUPPORTED).subject())
        .isEqualTo("QEMU 8.2.0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"inmigrate", "postmigrate", "shutdown", "internal-error"})
  void runStatesASaveCannotStartFrom(String state) {
    qemu.runState(state);
    PreflightItem item = only(check(), PreflightCode.RUNSTATE_NOT_SAVABLE);
    assertThat(item.isError()).isTrue();
    assertThat(item.subject()).isEqualTo(state);
  }

  @ParameterizedTest
  @ValueSource(strings = {"running", "paused", "suspended"})
  void runStatesASaveStartsFrom(String state) {
    qemu.runState(state);
    assertThat(check().items()).isEmpty();
  }

  @Test
  void anActiveMigration() {
    qemu.migrationStatus("active");
    only(check(), PreflightCode.MIGRATION_ACTIVE);
    assertThat(qemu.commands()).doesNotContain("migrate-set-parameters");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "postcopy-ram",
        "dirty-bitmaps",
        "background-snapshot",
        "x-colo",
        "postcopy-preempt"
      })
  void capabilitiesThatCprRefuses(String capability) {
    qemu.capability(capability, true);
    PreflightItem item = only(check(), PreflightCode.CAPABILITY_INCOMPATIBLE);
    assertThat(item.subject()).isEqualTo(capability);
    assertThat(item.fix()).contains("migrate-set-capabilities " + capability + " off");
  }

  @Test
  void blockersAreAskedForWithTheModeSetAndTheModeIsSetBack() {
    qemu.addMigrationBlocker("a device blocks it");
    qemu.addMigrationBlocker("another one");
    PreflightReport report = check();
    assertThat(report.errors())
        .extracting(PreflightItem::code)
        .containsExactly(PreflightCode.MIGRATION_BLOCKED, PreflightCode.MIGRATION_BLOCKED);
    assertThat(report.errors().get(0).message()).contains("a device blocks it");
    assertThat(qemu.mode()).isEqualTo("normal");
  }

  @Test
  void aModeAlreadyCprRebootIsNotTouched() {
    qemu.mode("cpr-reboot");
    assertThat(check().items()).isEmpty();
    assertThat(qemu.commands()).doesNotContain("migrate-set-parameters");
  }

  @Test
  void aProbeThatCannotSetTheModeBackIsReported() {
    qemu.server().enqueue("migrate-set-parameters", Responders.returns("{}"));
    qemu.server().enqueue("migrate-set-parameters", Responders.error("GenericError", "nope"));
    PreflightItem item = only(check(), PreflightCode.QUERY_FAILED);
    assertThat(item.message()).contains("could not set it back to normal");
  }

  @Test
  void memfdRamIsCopiedWarningOrErrorWhenInPlaceIsRequired() {
    qemu.clearMemdevs();
    qemu.addMemdev(FakeQemu.Memdev.memfd("mem1", RAM));
    PreflightReport report = check();
    PreflightItem item = only(report, PreflightCode.MEMORY_COPIED);
    assertThat(item.severity()).isEqualTo(Severity.WARNING);
    assertThat(item.message()).contains("memory-backend-memfd", String.valueOf(RAM));
    assertThat(report.memorySavedInPlace()).isFalse();
    assertThat(report.expectedStateFileBytes()).isEqualTo(RAM + (32L << 20));

    PreflightReport strict = save().requireMemorySavedInPlace(true).check();
    assertThat(only(strict, PreflightCode.MEMORY_COPIED).severity()).isEqualTo(Severity.ERROR);
  }

  @Test
  void privateFileMappingAndAnonymousRamAreCopied() {
    qemu.clearMemdevs();
    qemu.addMemdev(
        new FakeQemu.Memdev(
            "priv", RAM, false, "memory-backend-file", ramFile.toString(), false, false));
    qemu.addMemdev(
        new FakeQemu.Memdev("pc.ram", RAM, false, "memory-backend-ram", null, false, false));
    PreflightReport report = check();
    assertThat(report.warnings())
        .extracting(PreflightItem::subject)
        .containsExactly("priv", "pc.ram");
    assertThat(report.warnings().get(0).message()).contains("share=off");
  }

  @Test
  void memPathThatIsADirectory() throws Exception {
    Path memDir = Files.createDirectory(dir.resolve("hugepages"));
    qemu.clearMemdevs();
    qemu.addMemdev(FakeQemu.Memdev.file("ram0", RAM, memDir));
    PreflightItem item = only(check(), PreflightCode.MEMORY_PATH_DIRECTORY);
    assertThat(item.isError()).isTrue();
    assertThat(item.message()).contains("directory", "gone when QEMU quits");
  }

  @Test
  void memPathThatIsMissing() {
    qemu.clearMemdevs();
    qemu.addMemdev(FakeQemu.Memdev.file("ram0", RAM, dir.resolve("deleted.img")));
    assertThat(only(check(), PreflightCode.MEMORY_PATH_UNUSABLE).isError()).isTrue();
  }

  @Test
  void memPathThatIsACharacterDeviceLikeDax() {
    qemu.clearMemdevs();
    qemu.addMemdev(FakeQemu.Memdev.file("ram0", RAM, Path.of("/dev/zero")));
    assertThat(check().items()).isEmpty();
  }

  @Test
  void aRelativeMemPathKeptInPlaceIsAnErrorAndIsNotLookedUpHere() {
    // pom.xml exists relative to this process's working directory; QEMU's may differ.
    qemu.clearMemdevs();
    qemu.addMemdev(
        new FakeQemu.Memdev("ram0", RAM, true, "memory-backend-file", "pom.xml", false, false));
    PreflightReport report = check();
    assertThat(report.errors())
        .as(report.toString())
        .extracting(PreflightItem::code)
        .containsExactly(PreflightCode.MEMORY_PATH_RELATIVE);
    assertThat(report.errors().get(0).message()).contains("pom.xml", "working directory");
    assertThat(report.errors().get(0).fix()).contains("absolute mem-path");
  }

  @Test
  void aRelativeMemPathOfRamThatIsCopiedIsNoConcern() {
    qemu.clearMemdevs();
    qemu.addMemdev(
        new FakeQemu.Memdev(
            "priv", RAM, false, "memory-backend-file", "no-such-dir/ram", false, false));
    assertThat(check().items())
        .extracting(PreflightItem::code)
        .containsExactly(PreflightCode.MEMORY_COPIED);
  }

  @Test
  void ramKeptInTmpfsIsAWarningThatAHostRebootLosesIt() throws Exception {
    Path shm = TestDirs.inTmpfs();
    Path ram = Files.createFile(shm.resolve("preflight-test.ram"));
    try {
      qemu.clearMemdevs();
      qemu.addMemdev(FakeQemu.Memdev.file("ram0", RAM, ram));
      PreflightReport report = check();
      PreflightItem item = only(report, PreflightCode.MEMORY_LOST_ON_HOST_REBOOT);
      assertThat(item.severity()).isEqualTo(Severity.WARNING);
      assertThat(item.message()).contains(ram.toString(), "tmpfs", "reboot");
      assertThat(report.hasErrors()).isFalse();
    } finally {
      TestDirs.delete(shm);
    }
  }

  @Test
  void ramKeptOnADiskIsNoConcern() throws Exception {
    Path disk = TestDirs.onDisk();
    try {
      Path ram = Files.createFile(disk.resolve("ram0.img"));
      assertThat(fileSystemOf(ram)).isNotIn("tmpfs", "ramfs");
      qemu.clearMemdevs();
      qemu.addMemdev(FakeQemu.Memdev.file("ram0", RAM, ram));
      assertThat(check().items())
          .noneMatch(i -> i.code() == PreflightCode.MEMORY_LOST_ON_HOST_REBOOT);
    } finally {
      TestDirs.delete(disk);
    }
  }

  private static String fileSystemOf(Path p) {
    try {
      return Files.getFileStore(p).type();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void discardData() {
    qemu.clearMemdevs();
    qemu.addMemdev(
        new FakeQemu.Memdev(
            "ram0", RAM, true, "memory-backend-file", ramFile.toString(), true, false));
    assertThat(only(check(), PreflightCode.MEMORY_DISCARD_DATA).isError()).isTrue();
  }

  @Test
  void aBackendQomCannotDescribe() {
    qemu.addMemdev(new FakeQemu.Memdev("odd", RAM, true, "memory-backend-file", null, false, true));
    PreflightReport report = check();
    assertThat(only(report, PreflightCode.MEMORY_UNKNOWN).severity()).isEqualTo(Severity.WARNING);
    assertThat(only(report, PreflightCode.MEMORY_COPIED).subject()).isEqualTo("odd");
  }

  @Test
  void vfioWithPolicyNever() {
    qemu.addPeripheral("hostdev0", "child<vfio-pci>");
    PreflightReport report = save().suspendPolicy(SuspendPolicy.NEVER).check();
    PreflightItem item = only(report, PreflightCode.VFIO_NEEDS_SUSPEND);
    assertThat(item.subject()).isEqualTo("/machine/peripheral/hostdev0");
    assertThat(item.message()).contains("only supports cpr-reboot for runstate suspended");
    assertThat(report.vfioDevices()).containsExactly("/machine/peripheral/hostdev0");
  }

  @Test
  void vfioWithoutAGuestAgent() {
    qemu.addPeripheral("hostdev0", "child<vfio-pci>");
    assertThat(only(check(), PreflightCode.VFIO_NEEDS_SUSPEND).message())
        .contains("no guest agent");
  }

  @Test
  void vfioOnAnAlreadySuspendedGuestIsFine() {
    qemu.addPeripheral("hostdev0", "child<vfio-pci>");
    qemu.runState("suspended");
    PreflightReport report = save().suspendPolicy(SuspendPolicy.NEVER).check();
    assertThat(report.items()).isEmpty();
    assertThat(report.suspendGuest()).isFalse();
  }

  @Test
  void vfioWithAnAnsweringAgentIsFine() {
    qemu.addPeripheral("hostdev0", "child<vfio-pci>");
    try (FakeGuestAgent agent = FakeGuestAgent.start();
        GuestAgentClient qga = GuestAgentClient.connect(agent.socketPath())) {
      PreflightReport report = save().guestAgent(qga).check();
      assertThat(report.items()).as(report.toString()).isEmpty();
      assertThat(report.suspendGuest()).isTrue();
      assertThat(agent.commands()).contains("guest-ping").doesNotContain("guest-suspend-ram");
    }
  }

  @Test
  void alwaysWithoutAnAgent() {
    assertThat(
            only(
                    save().suspendPolicy(SuspendPolicy.ALWAYS).check(),
                    PreflightCode.GUEST_AGENT_UNREACHABLE)
                .message())
        .contains("ALWAYS");
  }

  @Test
  void anAgentThatDoesNotAnswer() {
    try (FakeGuestAgent agent = FakeGuestAgent.start();
        GuestAgentClient qga =
            GuestAgentClient.builder()
                .unixSocket(agent.socketPath())
                .syncTimeout(java.time.Duration.ofMillis(300))
                .connect()) {
      agent.always("guest-sync-delimited", Action.silence());
      PreflightReport report = save().guestAgent(qga).suspendPolicy(SuspendPolicy.ALWAYS).check();
      assertThat(only(report, PreflightCode.GUEST_AGENT_UNREACHABLE).isError()).isTrue();
    }
  }

  @Test
  void anAgentWithSuspendDisabled() {
    try (FakeGuestAgent agent = FakeGuestAgent.start();
        GuestAgentClient qga = GuestAgentClient.connect(agent.socketPath())) {
      agent.always(
          "guest-info",
          Action.returns(
              "{\"version\": \"7.2\", \"supported_commands\": ["
                  + "{\"name\": \"guest-suspend-ram\", \"enabled\": false,"
                  + " \"success-response\": false}]}"));
      PreflightReport report = save().guestAgent(qga).suspendPolicy(SuspendPolicy.ALWAYS).check();
      assertThat(only(report, PreflightCode.GUEST_NOT_SUSPENDABLE).message())
          .contains("guest-suspend-ram disabled");
    }
  }

  @Test
  void aPausedGuestCannotSuspend() {
    qemu.runState("paused");
    qemu.addPeripheral("hostdev0", "child<vfio-pci-nohotplug>");
    assertThat(only(check(), PreflightCode.GUEST_NOT_SUSPENDABLE).message()).contains("paused");
  }

  @Test
  void aMachineThatCannotWakeUp() {
    qemu.wakeupSupport(false);
    try (FakeGuestAgent agent = FakeGuestAgent.start();
        GuestAgentClient qga = GuestAgentClient.connect(agent.socketPath())) {
      PreflightReport report = save().guestAgent(qga).suspendPolicy(SuspendPolicy.ALWAYS).check();
      assertThat(only(report, PreflightCode.GUEST_NOT_SUSPENDABLE).message())
          .contains("wakeup-suspend-support");
    }
  }

  @Test
  void aRelativeStatePath() {
    PreflightItem item =
        only(
            CprReboot.save(qmp).to(Path.of("vm.state")).check(),
            PreflightCode.STATE_PATH_NOT_ABSOLUTE);
    assertThat(item.subject()).isEqualTo("vm.state");
  }

  @Test
  void aMissingDirectory() {
    assertThat(
            only(
                    CprReboot.save(qmp).to(dir.resolve("nope/vm.state")).check(),
                    PreflightCode.STATE_DIRECTORY_MISSING)
                .isError())
        .isTrue();
  }

  @Test
  void aDirectoryOthersCanRenameIn() throws Exception {
    Files.setPosixFilePermissions(
        stateFile.getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));
    assertThat(only(check(), PreflightCode.STATE_DIRECTORY_SHARED).severity())
        .isEqualTo(Severity.WARNING);
  }

  @Test
  void aDirectoryAtTheStatePathAndALeftoverPartial() throws Exception {
    Files.createDirectory(stateFile);
    Files.writeString(stateFile.resolveSibling("vm.state.partial"), "left over");
    PreflightReport report = check();
    assertThat(only(report, PreflightCode.STATE_PATH_NOT_A_FILE).subject())
        .isEqualTo(stateFile.toString());
    assertThat(only(report, PreflightCode.STATE_PARTIAL_FILE_EXISTS).fix()).contains("delete");
  }

  @Test
  void theStatePathIsTheGuestsRam() {
    assertThat(
            only(CprReboot.save(qmp).to(ramFile).check(), PreflightCode.STATE_PATH_IS_GUEST_MEMORY)
                .isError())
        .isTrue();
  }

  @Test
  void notEnoughFreeSpaceIsAWarning() {
    qemu.clearMemdevs();
    qemu.addMemdev(FakeQemu.Memdev.memfd("huge", 1L << 60));
    PreflightItem item = only(check(), PreflightCode.STATE_FREE_SPACE_LOW);
    assertThat(item.severity()).isEqualTo(Severity.WARNING);
  }

  @Test
  void aFailingQueryIsReportedAndTheRestIsStillChecked() {
    qemu.on("query-migrate-capabilities", Responders.error("GenericError", "broken"));
    qemu.runState("inmigrate");
    PreflightReport report = check();
    assertThat(report.errors())
        .extracting(PreflightItem::code)
        .containsExactlyInAnyOrder(PreflightCode.QUERY_FAILED, PreflightCode.RUNSTATE_NOT_SAVABLE);
  }

  @Test
  void everyProblemAtOnceErrorsFirstAndPrettyPrinted() throws Exception {
    qemu.capability("postcopy-ram", true);
    qemu.capability("x-colo", true);
    qemu.addMemdev(FakeQemu.Memdev.memfd("mem1", RAM));
    qemu.addPeripheral("gpu", "child<vfio-pci>");
    PreflightReport report = save().suspendPolicy(SuspendPolicy.NEVER).check();
    assertThat(report.items())
        .extracting(PreflightItem::code)
        .containsExactly(
            PreflightCode.CAPABILITY_INCOMPATIBLE, PreflightCode.CAPABILITY_INCOMPATIBLE,
            PreflightCode.VFIO_NEEDS_SUSPEND, PreflightCode.MEMORY_COPIED);
    assertThat(report.toString())
        .contains("3 errors, 1 warning")
        .contains("ERROR   CAPABILITY_INCOMPATIBLE      postcopy-ram")
        .contains("Fix: ");
  }
}

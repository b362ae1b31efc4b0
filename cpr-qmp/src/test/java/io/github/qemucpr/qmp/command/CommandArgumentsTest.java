package io.github.qemucpr.qmp.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.QmpCommand;
import io.github.qemucpr.qmp.internal.codec.QmpJsonModule;
import io.github.qemucpr.qmp.internal.wire.JsonCodec;
import java.io.FileDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** What each command puts on the wire: its name and its arguments, encoded as the client does. */
class CommandArgumentsTest {
  private static final JsonCodec CODEC = new JsonCodec(new QmpJsonModule());

  /** The arguments as compact JSON, as the client encodes them. */
  private static String json(QmpCommand<?> command) {
    return new String(CODEC.encode(CODEC.toTree(command.arguments())), StandardCharsets.UTF_8);
  }

  @Test
  void commandsWithoutArgumentsSendNone() {
    List<QmpCommand<?>> commands =
        List.of(
            new QueryVersion(),
            new QueryStatus(),
            new QueryMemdev(),
            new QueryMigrate(),
            new QueryMigrateCapabilities(),
            new QueryMigrateParameters(),
            new QueryCommands(),
            new QueryQmpSchema(),
            new QueryCurrentMachine(),
            new QueryPci(),
            new QueryFdsets(),
            new MigrateCancel(),
            new Stop(),
            new Cont(),
            new SystemWakeup(),
            new SystemPowerdown(),
            new SystemReset(),
            new Quit());
    assertThat(commands).allSatisfy(c -> assertThat(c.arguments()).isEmpty());
    assertThat(commands)
        .extracting(QmpCommand::name)
        .containsExactly(
            "query-version",
            "query-status",
            "query-memdev",
            "query-migrate",
            "query-migrate-capabilities",
            "query-migrate-parameters",
            "query-commands",
            "query-qmp-schema",
            "query-current-machine",
            "query-pci",
            "query-fdsets",
            "migrate_cancel",
            "stop",
            "cont",
            "system_wakeup",
            "system_powerdown",
            "system_reset",
            "quit");
    assertThat(commands).allSatisfy(c -> assertThat(c.fileDescriptors()).isEmpty());
  }

  @Test
  void migrateToFileUsesTheChannelsFormAndNeverDetach() {
    Migrate migrate = Migrate.toFile(Path.of("/var/lib/vm,offset=9/state"));
    assertThat(migrate.name()).isEqualTo("migrate");
    assertThat(json(migrate))
        .isEqualTo(
            "{\"channels\":[{\"channel-type\":\"main\",\"addr\":{\"transport\":\"file\","
                + "\"filename\":\"/var/lib/vm,offset=9/state\",\"offset\":0}}]}");
    assertThat(json(Migrate.toFile("/dev/fdset/3", 4096)))
        .isEqualTo(
            "{\"channels\":[{\"channel-type\":\"main\",\"addr\":{\"transport\":\"file\","
                + "\"filename\":\"/dev/fdset/3\",\"offset\":4096}}]}");
    assertThat(json(Migrate.toUri("unix:/run/m.sock"))).isEqualTo("{\"uri\":\"unix:/run/m.sock\"}");
    assertThat(json(migrate) + json(Migrate.toUri("file:/x"))).doesNotContain("detach");
  }

  @Test
  void migrateToChannelsEncodesUnixSocketsAndTheCprChannel() {
    Migrate migrate =
        Migrate.toChannels(
            List.of(
                MigrationChannel.main(MigrationAddress.unixSocket(Path.of("/run/main.sock"))),
                MigrationChannel.cpr(MigrationAddress.unixSocket(Path.of("/run/cpr.sock")))));
    assertThat(json(migrate))
        .isEqualTo(
            "{\"channels\":["
                + "{\"channel-type\":\"main\",\"addr\":{\"transport\":\"socket\",\"type\":\"unix\","
                + "\"path\":\"/run/main.sock\"}},"
                + "{\"channel-type\":\"cpr\",\"addr\":{\"transport\":\"socket\",\"type\":\"unix\","
                + "\"path\":\"/run/cpr.sock\"}}]}");
  }

  @Test
  void migrateRefusesBothFormsNeitherFormAndNoMainChannel() {
    MigrationChannel main = MigrationChannel.main(MigrationAddress.file(Path.of("/s")));
    assertThatThrownBy(() -> new Migrate("file:/s", List.of(main)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Migrate(null, List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                Migrate.toChannels(
                    List.of(MigrationChannel.cpr(MigrationAddress.unixSocket(Path.of("/c"))))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("main");
    assertThatThrownBy(() -> MigrationAddress.file("/s", -1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void migrateIncomingAddsExitOnErrorOnlyWhenSet() {
    MigrateIncoming incoming = MigrateIncoming.fromFile(Path.of("/state"));
    assertThat(incoming.name()).isEqualTo("migrate-incoming");
    assertThat(json(incoming)).doesNotContain("exit-on-error");
    assertThat(json(incoming.withExitOnError(false)))
        .isEqualTo(
            "{\"channels\":[{\"channel-type\":\"main\",\"addr\":{\"transport\":\"file\","
                + "\"filename\":\"/state\",\"offset\":0}}],\"exit-on-error\":false}");
    assertThat(json(MigrateIncoming.fromUri("defer").withExitOnError(true)))
        .isEqualTo("{\"uri\":\"defer\",\"exit-on-error\":true}");
    assertThat(MigrateIncoming.fromFile("/dev/fdset/1", 0).channels()).hasSize(1);
  }

  @Test
  void migrateSetCapabilitiesKeepsTheOrderGiven() {
    Map<MigrationCapability, Boolean> states = new LinkedHashMap<>();
    states.put(MigrationCapability.X_IGNORE_SHARED, true);
    states.put(MigrationCapability.EVENTS, true);
    states.put(MigrationCapability.of("x-future"), false);
    assertThat(json(MigrateSetCapabilities.of(states)))
        .isEqualTo(
            "{\"capabilities\":[{\"capability\":\"x-ignore-shared\",\"state\":true},"
                + "{\"capability\":\"events\",\"state\":true},"
                + "{\"capability\":\"x-future\",\"state\":false}]}");
    assertThat(json(MigrateSetCapabilities.disable(MigrationCapability.MULTIFD)))
        .isEqualTo("{\"capabilities\":[{\"capability\":\"multifd\",\"state\":false}]}");
    assertThatThrownBy(() -> MigrateSetCapabilities.enable())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void migrateSetParametersSendsOnlyWhatIsSet() {
    assertThat(json(MigrateSetParameters.ofMode(MigrationMode.CPR_REBOOT)))
        .isEqualTo("{\"mode\":\"cpr-reboot\"}");
    assertThat(
            json(
                MigrateSetParameters.builder()
                    .multifdChannels(4)
                    .maxBandwidth(1000)
                    .downtimeLimit(500)
                    .directIo(false)
                    .cprExecCommand(List.of("/usr/bin/qemu", "-incoming", "defer"))
                    .build()))
        .isEqualTo(
            "{\"multifd-channels\":4,\"max-bandwidth\":1000,\"downtime-limit\":500,"
                + "\"direct-io\":false,\"cpr-exec-command\":[\"/usr/bin/qemu\",\"-incoming\","
                + "\"defer\"]}");
  }

  @Test
  void migrateSetParametersBuilderChecksEachOption() {
    MigrateSetParameters.Builder builder =
        MigrateSetParameters.builder().mode(MigrationMode.NORMAL);
    assertThatThrownBy(() -> builder.mode(MigrationMode.CPR_REBOOT))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("mode");
    assertThatThrownBy(() -> builder.multifdChannels(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("multifdChannels");
    assertThatThrownBy(() -> builder.downtimeLimit(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("downtimeLimit");
    assertThatThrownBy(() -> builder.cprExecCommand(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void qomCommands() {
    assertThat(json(new QomList("/objects"))).isEqualTo("{\"path\":\"/objects\"}");
    QomGet get = new QomGet("/objects/ram0", "mem-path");
    assertThat(json(get)).isEqualTo("{\"path\":\"/objects/ram0\",\"property\":\"mem-path\"}");
    assertThat(get.replyType()).isEqualTo(JsonNode.class);
    QomGet.As<Boolean> typed = new QomGet("/objects/ram0", "share").as(Boolean.class);
    assertThat(typed.name()).isEqualTo("qom-get");
    assertThat(typed.replyType()).isEqualTo(Boolean.class);
    assertThat(json(typed)).isEqualTo("{\"path\":\"/objects/ram0\",\"property\":\"share\"}");
  }

  @Test
  void fdCommandsPassTheirDescriptor() {
    GetFd getfd = new GetFd("state", FileDescriptor.out);
    assertThat(json(getfd)).isEqualTo("{\"fdname\":\"state\"}");
    assertThat(getfd.fileDescriptors()).containsExactly(FileDescriptor.out);
    assertThat(json(new CloseFd("state"))).isEqualTo("{\"fdname\":\"state\"}");

    AddFd addFd = AddFd.of(FileDescriptor.out);
    assertThat(addFd.name()).isEqualTo("add-fd");
    assertThat(addFd.arguments()).isEmpty();
    assertThat(addFd.fileDescriptors()).containsExactly(FileDescriptor.out);
    assertThat(json(new AddFd(2L, "note", FileDescriptor.out)))
        .isEqualTo("{\"fdset-id\":2,\"opaque\":\"note\"}");
    assertThatThrownBy(() -> AddFd.of(new FileDescriptor()))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(json(new RemoveFd(2, 17L))).isEqualTo("{\"fdset-id\":2,\"fd\":17}");
    assertThat(json(RemoveFd.set(2))).isEqualTo("{\"fdset-id\":2}");
  }

  @Test
  void humanMonitorCommand() {
    HumanMonitorCommand hmp = new HumanMonitorCommand("info status");
    assertThat(json(hmp)).isEqualTo("{\"command-line\":\"info status\"}");
    assertThat(hmp.replyType()).isEqualTo(String.class);
    assertThatThrownBy(() -> new HumanMonitorCommand(" "))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void argumentMapsAreImmutable() {
    Map<String, ?> args = new QomList("/x").arguments();
    assertThatThrownBy(args::clear).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void listReplyTypesAreParameterizedLists() {
    assertThat(new QueryMemdev().replyType().getTypeName())
        .isEqualTo("java.util.List<io.github.qemucpr.qmp.command.MemoryBackend>");
    assertThat(new QueryPci().replyType()).isEqualTo(new QueryPci().replyType());
  }

  @Test
  void recordsPrintTheirContent() {
    assertThat(MigrationMode.CPR_REBOOT).hasToString("cpr-reboot");
    assertThat(MigrateSetParameters.ofMode(MigrationMode.CPR_REBOOT).toString())
        .contains("mode=cpr-reboot");
    assertThat(Migrate.toFile(Path.of("/s")).toString())
        .contains("channelType=main", "filename=/s", "offset=0");
    assertThat(new MigrationCapabilityStatus(MigrationCapability.EVENTS, true))
        .hasToString("MigrationCapabilityStatus[capability=events, state=true]");
  }
}

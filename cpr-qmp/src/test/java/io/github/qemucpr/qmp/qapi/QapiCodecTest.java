package io.github.qemucpr.qmp.qapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.QmpCommand;
import io.github.qemucpr.qmp.QmpProtocolException;
import io.github.qemucpr.qmp.event.GenericEvent;
import io.github.qemucpr.qmp.event.QmpEvent;
import io.github.qemucpr.qmp.event.ShutdownEvent;
import io.github.qemucpr.qmp.internal.codec.Events;
import io.github.qemucpr.qmp.internal.codec.QmpJsonModule;
import io.github.qemucpr.qmp.internal.codec.Replies;
import io.github.qemucpr.qmp.internal.qapi.QapiCodec;
import io.github.qemucpr.qmp.internal.wire.JsonCodec;
import io.github.qemucpr.qmp.qapi.blockcore.BlockJobCompletedEvent;
import io.github.qemucpr.qmp.qapi.blockcore.BlockLatencyHistogramInfo;
import io.github.qemucpr.qmp.qapi.blockcore.BlockLimitsInfo;
import io.github.qemucpr.qmp.qapi.blockcore.BlockWriteThresholdEvent;
import io.github.qemucpr.qmp.qapi.blockcore.BlockdevAdd;
import io.github.qemucpr.qmp.qapi.blockcore.BlockdevDriver;
import io.github.qemucpr.qmp.qapi.blockcore.BlockdevOptions;
import io.github.qemucpr.qmp.qapi.blockcore.BlockdevRef;
import io.github.qemucpr.qmp.qapi.blockcore.BlockdevRefOrNull;
import io.github.qemucpr.qmp.qapi.common.StrOrNull;
import io.github.qemucpr.qmp.qapi.job.JobType;
import io.github.qemucpr.qmp.qapi.machine.CpuInfoFast;
import io.github.qemucpr.qmp.qapi.machine.QueryCpusFast;
import io.github.qemucpr.qmp.qapi.machine.SysEmuTarget;
import io.github.qemucpr.qmp.qapi.migration.XBZRLECacheStats;
import io.github.qemucpr.qmp.qapi.qom.QomGet;
import io.github.qemucpr.qmp.qapi.runstate.QueryStatus;
import io.github.qemucpr.qmp.qapi.runstate.RunState;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The generated surface decoded as the client decodes replies, and encoded as it sends them. */
class QapiCodecTest {
  private static final JsonCodec CODEC = new JsonCodec(new QmpJsonModule());

  private static JsonNode json(String text) {
    return CODEC.parse(text.getBytes(StandardCharsets.UTF_8));
  }

  private static <R> R reply(QmpCommand<R> command, String text) {
    return Replies.decode(json(text), command.replyType(), command.name(), CODEC);
  }

  private static JsonNode encoded(Object value) {
    return CODEC.toTree(QapiCodec.encode(value));
  }

  /** JSON equality where 1, 1L and a BigInteger 1 are the same number (as on the wire). */
  static boolean sameJson(JsonNode a, JsonNode b) {
    return a.equals(
        (x, y) ->
            x.isNumber() && y.isNumber()
                ? x.decimalValue().compareTo(y.decimalValue())
                : x.equals(y) ? 0 : 1,
        b);
  }

  @Test
  void queryCpusFastDecodesAsUnionAndKeepsUnknownMembers() {
    String text =
        "[{\"thread-id\": 4242, \"props\": {\"core-id\": 0, \"thread-id\": 0, \"node-id\": 0,"
            + " \"socket-id\": 0}, \"qom-path\": \"/machine/unattached/device[0]\","
            + " \"cpu-index\": 0, \"target\": \"x86_64\", \"qom-type\": \"qemu64-x86_64-cpu\","
            + " \"x-from-a-newer-qemu\": {\"a\": [1, 2.5, null, \"s\"]}}]";
    List<CpuInfoFast> cpus = reply(new QueryCpusFast(), text);

    assertThat(cpus).hasSize(1);
    CpuInfoFast cpu = cpus.get(0);
    assertThat(cpu).isInstanceOf(CpuInfoFast.Other.class);
    assertThat(cpu.target()).isEqualTo(SysEmuTarget.X86_64);
    assertThat(cpu.threadId()).isEqualTo(4242L);
    assertThat(cpu.qomType()).isEqualTo("qemu64-x86_64-cpu");
    assertThat(cpu.props()).isNotNull();
    assertThat(cpu.props().socketId()).isEqualTo(0L);
    assertThat(cpu.unknownMembers()).containsOnlyKeys("x-from-a-newer-qemu");
    assertThat(sameJson(CODEC.toTree(QapiCodec.encode(cpus)), json(text))).isTrue();
  }

  @Test
  void anUnknownEnumValueAndAnUnknownDiscriminatorDecode() {
    List<CpuInfoFast> cpus =
        reply(
            new QueryCpusFast(),
            "[{\"thread-id\": 1, \"qom-path\": \"/p\", \"cpu-index\": 0, \"target\": \"x-riscv128\"}]");

    assertThat(cpus.get(0).target().wireName()).isEqualTo("x-riscv128");
    assertThat(cpus.get(0).target()).isEqualTo(SysEmuTarget.of("x-riscv128"));
    assertThat(SysEmuTarget.knownValues())
        .contains(SysEmuTarget.X86_64)
        .doesNotContain(SysEmuTarget.of("x-riscv128"));
  }

  @Test
  void aUnionBranchDecodesToItsVariantAndEncodesBackTheSame() {
    String text =
        "{\"driver\": \"qcow2\", \"node-name\": \"disk0\", \"file\": {\"driver\": \"file\","
            + " \"filename\": \"/tmp/d.qcow2\"}, \"backing\": null, \"cache-size\": 1048576}";
    BlockdevOptions options = (BlockdevOptions) QapiCodec.decode(json(text), BlockdevOptions.class);

    assertThat(options).isInstanceOf(BlockdevOptions.Qcow2.class);
    BlockdevOptions.Qcow2 qcow2 = (BlockdevOptions.Qcow2) options;
    assertThat(qcow2.driver()).isEqualTo(BlockdevDriver.QCOW2);
    assertThat(qcow2.nodeName()).isEqualTo("disk0");
    assertThat(qcow2.cacheSize()).isEqualTo(1048576L);
    assertThat(qcow2.backing()).isInstanceOf(BlockdevRefOrNull.Null.class);
    BlockdevRef.Definition file = (BlockdevRef.Definition) qcow2.file();
    assertThat(((BlockdevOptions.File) file.value()).filename()).isEqualTo("/tmp/d.qcow2");
    assertThat(qcow2.unknownMembers()).isEmpty();

    assertThat(sameJson(encoded(options), json(text))).isTrue();
    assertThat(sameJson(CODEC.toTree(new BlockdevAdd(options).arguments()), json(text))).isTrue();
  }

  @Test
  void alternatesChooseByTheJsonType() {
    assertThat(QapiCodec.decode(json("null"), StrOrNull.class)).isInstanceOf(StrOrNull.N.class);
    assertThat(QapiCodec.decode(json("\"x\""), StrOrNull.class)).isEqualTo(new StrOrNull.S("x"));
    assertThat(QapiCodec.decode(json("\"node1\""), BlockdevRef.class))
        .isEqualTo(new BlockdevRef.Reference("node1"));
    assertThatThrownBy(() -> QapiCodec.decode(json("17"), StrOrNull.class))
        .isInstanceOf(QapiCodec.DecodeException.class)
        .hasMessageContaining("StrOrNull");
  }

  @Test
  void aMissingRequiredMemberIsAProtocolErrorNamingIt() {
    assertThatThrownBy(
            () ->
                reply(
                    new QueryCpusFast(),
                    "[{\"thread-id\": 1, \"cpu-index\": 0, \"target\": \"x86_64\"}]"))
        .isInstanceOf(QmpProtocolException.class)
        .hasMessageContaining("query-cpus-fast")
        .hasMessageContaining("qom-path");
    assertThatThrownBy(
            () -> reply(new QueryStatus(), "{\"running\": \"yes\", \"status\": \"running\"}"))
        .isInstanceOf(QmpProtocolException.class)
        .hasMessageContaining("$.running");
  }

  @Test
  void commandArgumentsLeaveOutWhatIsNotSet() {
    Map<String, ?> args = new QomGet("/machine", "type").arguments();
    assertThat(List.copyOf(args.keySet())).containsExactly("path", "property");
    assertThat(args.get("path")).isEqualTo("/machine");
    assertThat(new QueryCpusFast().arguments()).isEmpty();
    assertThat(new QueryStatus().name()).isEqualTo("query-status");
    assertThat(reply(new QueryStatus(), "{\"running\": true, \"status\": \"running\"}").status())
        .isEqualTo(RunState.RUNNING);
  }

  @Test
  void unsignedMembersKeepTheirFullRange() {
    String data =
        "{\"node-name\": \"n\", \"amount-exceeded\": 18446744073709551615, \"write-threshold\": 4096}";
    Instant at = Instant.ofEpochSecond(1_700_000_000L, 5_000);
    BlockWriteThresholdEvent e =
        QapiEvents.decode(
                new GenericEvent("BLOCK_WRITE_THRESHOLD", at, json(data)),
                BlockWriteThresholdEvent.class)
            .orElseThrow();

    assertThat(Long.toUnsignedString(e.amountExceeded())).isEqualTo("18446744073709551615");
    assertThat(e.timestamp()).isEqualTo(at);
    assertThat(sameJson(encoded(e), json(data))).isTrue();
  }

  @Test
  void listsOfUnsignedMembersKeepTheirFullRange() {
    String text =
        "{\"boundaries\": [10, 18446744073709551615], \"bins\": [1, 2, 9223372036854775808]}";

    BlockLatencyHistogramInfo info =
        (BlockLatencyHistogramInfo) QapiCodec.decode(json(text), BlockLatencyHistogramInfo.class);

    assertThat(info.boundaries())
        .extracting(Long::toUnsignedString)
        .containsExactly("10", "18446744073709551615");
    assertThat(Long.toUnsignedString(info.bins().get(2))).isEqualTo("9223372036854775808");
    assertThat(sameJson(encoded(info), json(text))).isTrue();
  }

  @Test
  void anIntegerOfUnknownWidthDecodesAboveTheSignedRangeAsUnsigned() {
    // BlockLimitsInfo is only in QEMU 11.1, read from its manual, which says 'int' for every width.
    String text =
        "{\"request-alignment\": 512, \"max-discard\": 18446744073709551615,"
            + " \"discard-alignment\": -1, \"max-iov\": 1024, \"min-mem-alignment\": 1,"
            + " \"opt-mem-alignment\": 4096}";

    BlockLimitsInfo limits = (BlockLimitsInfo) QapiCodec.decode(json(text), BlockLimitsInfo.class);

    assertThat(limits.requestAlignment()).isEqualTo(512);
    assertThat(Long.toUnsignedString(limits.maxDiscard())).isEqualTo("18446744073709551615");
    assertThat(limits.discardAlignment()).as("a negative value stays signed").isEqualTo(-1L);
    assertThatThrownBy(
            () ->
                QapiCodec.decode(
                    json(text.replace("512", "18446744073709551616")), BlockLimitsInfo.class))
        .hasMessageContaining("out of range");
  }

  @Test
  void aNumberBeyondTheRangeOfADoubleIsRefusedNotMadeInfinite() {
    for (String rate : List.of("1e400", "-1e400", "1" + "0".repeat(400))) {
      String text =
          "{\"cache-size\": 1, \"bytes\": 1, \"pages\": 1, \"cache-miss\": 1,"
              + " \"cache-miss-rate\": "
              + rate
              + ", \"encoding-rate\": 0.5, \"overflow\": 0}";

      assertThatThrownBy(() -> QapiCodec.decode(json(text), XBZRLECacheStats.class))
          .as(rate)
          .isInstanceOf(QapiCodec.DecodeException.class)
          .hasMessageContaining("$.cache-miss-rate")
          .hasMessageContaining("out of range");
    }
  }

  @Test
  void eventsDecodeToTheirRecords() {
    Instant at = Instant.ofEpochSecond(1_700_000_000L);
    GenericEvent completed =
        new GenericEvent(
            "BLOCK_JOB_COMPLETED",
            at,
            json(
                "{\"type\": \"backup\", \"device\": \"job0\", \"len\": 10, \"offset\": 10, \"speed\": 0}"));

    QapiEvent decoded = QapiEvents.decode(completed).orElseThrow();
    assertThat(decoded).isInstanceOf(BlockJobCompletedEvent.class);
    BlockJobCompletedEvent done = (BlockJobCompletedEvent) decoded;
    assertThat(done.type()).isEqualTo(JobType.BACKUP);
    assertThat(done.error()).isNull();
    assertThat(done.eventName()).isEqualTo("BLOCK_JOB_COMPLETED");
    assertThat(QapiEvents.decode(completed, BlockWriteThresholdEvent.class)).isEmpty();
    assertThat(QapiEvents.decode(new GenericEvent("X_NOT_IN_THE_SCHEMA", at, json("{}"))))
        .isEmpty();

    // The hand-written SHUTDOWN record converts too.
    io.github.qemucpr.qmp.qapi.runstate.ShutdownEvent shutdown =
        QapiEvents.decode(
                new ShutdownEvent(at, true, "guest-shutdown"),
                io.github.qemucpr.qmp.qapi.runstate.ShutdownEvent.class)
            .orElseThrow();
    assertThat(shutdown.guest()).isTrue();
    assertThat(shutdown.reason().wireName()).isEqualTo("guest-shutdown");

    assertThatThrownBy(
            () ->
                QapiEvents.decode(
                    new GenericEvent("BLOCK_JOB_COMPLETED", at, json("{\"type\": \"backup\"}"))))
        .isInstanceOf(QmpProtocolException.class)
        .hasMessageContaining("device");
  }

  @Test
  void eventsAsDeliveredKeepMembersWeDoNotKnow() {
    // As the client delivers them: some names get a hand-written record of the event package.
    List<String[]> events =
        List.of(
            new String[] {"STOP", "{\"x-extra\": 1}"},
            new String[] {"RESUME", "{\"x-extra\": {\"a\": [1, \"b\"]}}"},
            new String[] {"MIGRATION", "{\"status\": \"completed\", \"x-extra\": \"y\"}"},
            new String[] {"MIGRATION_PASS", "{\"pass\": 2, \"x-extra\": false}"},
            new String[] {
              "SHUTDOWN", "{\"guest\": true, \"reason\": \"guest-shutdown\", \"x-extra\": null}"
            },
            new String[] {
              "ACPI_DEVICE_OST",
              "{\"info\": {\"device\": \"d1\", \"slot\": \"0\", \"slot-type\": \"DIMM\","
                  + " \"source\": 1, \"status\": 0, \"x-nested\": [true]}}"
            });
    for (String[] e : events) {
      JsonNode message =
          json(
              "{\"event\": \""
                  + e[0]
                  + "\", \"data\": "
                  + e[1]
                  + ", \"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 5}}");
      QmpEvent delivered = Events.decode(message, CODEC);
      QapiEvent typed = QapiEvents.decode(delivered).orElseThrow();

      JsonNode again = encoded(typed);
      assertThat(sameJson(again, json(e[1]))).as(e[0] + " gave " + again).isTrue();
      assertThat(typed.timestamp()).isEqualTo(delivered.timestamp());
    }
  }
}

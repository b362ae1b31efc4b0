package io.github.qemucpr.qmp.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.qemucpr.qmp.QmpCommand;
import io.github.qemucpr.qmp.QmpCommandException;
import io.github.qemucpr.qmp.QmpGreeting;
import io.github.qemucpr.qmp.QmpProtocolException;
import io.github.qemucpr.qmp.command.AddFd;
import io.github.qemucpr.qmp.command.Cont;
import io.github.qemucpr.qmp.command.HumanMonitorCommand;
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
import io.github.qemucpr.qmp.internal.codec.QmpJsonModule;
import io.github.qemucpr.qmp.internal.codec.Replies;
import io.github.qemucpr.qmp.internal.wire.JsonCodec;
import java.io.FileDescriptor;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Fuzzes what the QMP reader does with one parsed message, the way {@code QmpConnection} does it:
 * the greeting, and the reply to each typed command (its {@code return} decoded to the command's
 * reply type, or its {@code error} mapped to an exception).
 *
 * <p>Allowed outcomes: a value that keeps its null contract ({@link NullContract}), a {@link
 * QmpProtocolException} (the connection turns it into a failed call, or a closed connection for a
 * bad greeting), or malformed JSON ({@link JacksonException} from the parser, which closes the
 * connection). Anything else would escape as a "reader failed unexpectedly" and close the
 * connection of a QEMU that merely sent an odd value.
 */
@Timeout(600) // a coverage-guided run (JAZZER_FUZZ=1) takes its maxDuration
class QmpDecoderFuzzTest {

  private static final JsonCodec CODEC = new JsonCodec(new QmpJsonModule());

  /** Every typed reply shape of the SDK, and a few qom-get ones a caller might pick. */
  static final List<QmpCommand<?>> COMMANDS =
      List.of(
          new QueryStatus(),
          new QueryMigrate(),
          new QueryMigrateParameters(),
          new QueryMigrateCapabilities(),
          new QueryVersion(),
          new QueryMemdev(),
          new QueryPci(),
          new QueryCommands(),
          new QueryCurrentMachine(),
          new QueryFdsets(),
          new QueryQmpSchema(),
          new QomList("/machine"),
          new QomGet("/machine", "type"),
          new QomGet("/machine/peripheral/x", "size").as(Long.class),
          new QomGet("/objects/ram", "share").as(Boolean.class),
          new HumanMonitorCommand("info status"),
          AddFd.of(FileDescriptor.in),
          new Cont());

  static final List<String> TOKENS =
      List.of(
          "\"blocked-reasons\"",
          "\"error-desc\"",
          "\"total-time\"",
          "\"ram\"",
          "\"transferred\"",
          "\"mode\"",
          "\"cpr-reboot\"",
          "\"x-ignore-shared\"",
          "\"capability\"",
          "\"state\"",
          "\"bus\"",
          "\"devices\"",
          "\"class_info\"",
          "\"pci_bridge\"",
          "\"regions\"",
          "\"qom-type\"",
          "\"memory-backend-file\"",
          "\"share\"",
          "\"mem-path\"",
          "\"size\"",
          "\"fdset-id\"",
          "\"fds\"",
          "\"fd\"",
          "\"opaque\"",
          "\"name\"",
          "\"type\"",
          "\"wakeup-suspend-support\"",
          "\"meta-type\"",
          "\"singlestep\"",
          "\"inmigrate\"",
          "\"postmigrate\"",
          "\"suspended\"",
          "\"paused\"",
          "\"prefetch\"",
          "\"mem_type_64\"");

  @FuzzTest(maxDuration = "2m")
  void greeting(byte[] data) {
    JsonNode message = parse(data);
    if (message == null) {
      return;
    }
    QmpGreeting greeting;
    try {
      greeting = Replies.greeting(message);
    } catch (QmpProtocolException expected) {
      return;
    }
    NullContract.check(greeting);
    greeting.offersOob();
  }

  /** Byte 0 picks the command; the rest is the whole reply message. */
  @FuzzTest(maxDuration = "2m")
  void reply(byte[] data) {
    if (data.length == 0) {
      return;
    }
    QmpCommand<?> command = COMMANDS.get((data[0] & 0xFF) % COMMANDS.size());
    JsonNode message = parse(Arrays.copyOfRange(data, 1, data.length));
    if (message == null || !message.isObject()) {
      return; // the reader drops non-objects before they get here
    }
    JsonNode error = message.get("error");
    if (error != null) {
      QmpCommandException e = Replies.error(command.name(), error);
      assertThat(e.getMessage()).isNotNull();
      assertThat(e.errorClass()).isNotNull();
      return;
    }
    Object value;
    try {
      value = Replies.decode(message.get("return"), command.replyType(), command.name(), CODEC);
    } catch (QmpProtocolException expected) {
      return;
    }
    if (command.replyType() == Void.class) {
      assertThat(value).isNull();
      return;
    }
    assertThat(value).as("the decoded reply").isNotNull();
    NullContract.check(value);
    if (command.replyType() instanceof Class<?> type) {
      assertThat(value).isInstanceOf(type);
    }
  }

  @Test
  void greetingOnABudget() throws InterruptedException {
    FuzzBudget.run(
        getClass(),
        "greeting",
        FuzzBudget.tries(5_000, 1),
        2048,
        Mutator.JSON_TOKENS,
        Duration.ofSeconds(10),
        this::greeting);
  }

  @Test
  void replyOnABudget() throws InterruptedException {
    FuzzBudget.run(
        getClass(),
        "reply",
        FuzzBudget.tries(10_000, 1),
        4096,
        tokens(),
        Duration.ofSeconds(10),
        this::reply);
  }

  static List<String> tokens() {
    return java.util.stream.Stream.concat(Mutator.JSON_TOKENS.stream(), TOKENS.stream()).toList();
  }

  private static @Nullable JsonNode parse(byte[] data) {
    try {
      return CODEC.parse(data);
    } catch (JacksonException malformed) {
      return null; // the reader closes the connection with a QmpProtocolException
    }
  }
}

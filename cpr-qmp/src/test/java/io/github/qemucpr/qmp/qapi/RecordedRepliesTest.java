package io.github.qemucpr.qmp.qapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.event.GenericEvent;
import io.github.qemucpr.qmp.internal.codec.QmpJsonModule;
import io.github.qemucpr.qmp.internal.codec.Replies;
import io.github.qemucpr.qmp.internal.qapi.QapiCodec;
import io.github.qemucpr.qmp.internal.qapi.QapiIndex;
import io.github.qemucpr.qmp.internal.wire.JsonCodec;
import java.lang.reflect.Field;
import java.lang.reflect.Type;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The replies and events recorded from real QEMUs (QapiRepliesIT with {@code -Dqapi.record=true})
 * decode to their generated types, as the client decodes them, and encode back to the same JSON;
 * members a newer QEMU might add are kept.
 */
class RecordedRepliesTest {
  private static final JsonCodec CODEC = new JsonCodec(new QmpJsonModule());

  private static Path fixtures() throws URISyntaxException {
    return Path.of(RecordedRepliesTest.class.getResource("replies").toURI());
  }

  private static List<Path> files(String sub) throws Exception {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> versions = Files.list(fixtures())) {
      for (Path v : versions.sorted().toList()) {
        Path dir = sub.isEmpty() ? v : v.resolve(sub);
        try (Stream<Path> s = Files.list(dir)) {
          s.filter(p -> p.toString().endsWith(".json")).sorted().forEach(out::add);
        }
      }
    }
    return out;
  }

  private static String name(Path p) {
    String f = p.getFileName().toString();
    return f.substring(0, f.length() - ".json".length());
  }

  private static Type replyType(String command) throws Exception {
    Field f = Class.forName(QapiIndex.commandClasses().get(command)).getDeclaredField("REPLY");
    f.setAccessible(true);
    return (Type) f.get(null);
  }

  @Test
  void bothQemusWereRecorded() throws Exception {
    try (Stream<Path> versions = Files.list(fixtures())) {
      assertThat(versions.map(p -> p.getFileName().toString()).sorted().toList())
          .containsExactly("10.0", "11.1");
    }
    assertThat(files("")).hasSizeGreaterThan(100);
  }

  @Test
  void everyRecordedReplyRoundTrips() throws Exception {
    List<String> lossy = new ArrayList<>();
    for (Path p : files("")) {
      JsonNode reply = CODEC.parse(Files.readAllBytes(p));
      String command = name(p);
      Object decoded = Replies.decode(reply, replyType(command), command, CODEC);
      if (!sameJson(CODEC.toTree(QapiCodec.encode(decoded)), reply)) {
        lossy.add(p.getParent().getFileName() + "/" + command);
      }
    }
    assertThat(lossy).isEmpty();
  }

  @Test
  void membersANewerQemuAddsAreKept() throws Exception {
    List<String> lossy = new ArrayList<>();
    int objects = 0;
    for (Path p : files("")) {
      JsonNode reply = CODEC.parse(Files.readAllBytes(p));
      String command = name(p);
      // Every object of the reply's top level gains a member no schema has.
      List<JsonNode> tops = new ArrayList<>();
      if (reply.isObject()) {
        tops.add(reply);
      } else if (reply.isArray()) {
        reply.forEach(tops::add);
      }
      for (JsonNode t : tops) {
        if (t.isObject()) {
          ((ObjectNode) t).putObject("x-from-the-future").putArray("list").add(1).add("two");
          objects++;
        }
      }
      Object decoded = Replies.decode(reply, replyType(command), command, CODEC);
      if (!sameJson(CODEC.toTree(QapiCodec.encode(decoded)), reply)) {
        lossy.add(p.getParent().getFileName() + "/" + command);
      }
    }
    assertThat(objects).isGreaterThan(100);
    assertThat(lossy).isEmpty();
  }

  @Test
  void everyRecordedEventRoundTrips() throws Exception {
    List<Path> events = files("events");
    assertThat(events).isNotEmpty();
    for (Path p : events) {
      JsonNode data = CODEC.parse(Files.readAllBytes(p));
      QapiEvent e = QapiEvents.decode(new GenericEvent(name(p), Instant.EPOCH, data)).orElseThrow();
      assertThat(e.eventName()).isEqualTo(name(p));
      assertThat(sameJson(CODEC.toTree(QapiCodec.encode(e)), data)).as("%s", p).isTrue();
    }
  }

  @Test
  void theComparisonTellsDifferentJsonApart() {
    assertThat(
            sameJson(CODEC.parse("{\"a\": 1}".getBytes()), CODEC.parse("{\"a\": 1.0}".getBytes())))
        .isTrue();
    assertThat(sameJson(CODEC.parse("{\"a\": 1}".getBytes()), CODEC.parse("{\"a\": 2}".getBytes())))
        .isFalse();
    assertThat(
            sameJson(
                CODEC.parse("{\"a\": 1}".getBytes()),
                CODEC.parse("{\"a\": 1, \"b\": null}".getBytes())))
        .isFalse();
  }

  static boolean sameJson(JsonNode a, JsonNode b) {
    return QapiCodecTest.sameJson(a, b);
  }
}

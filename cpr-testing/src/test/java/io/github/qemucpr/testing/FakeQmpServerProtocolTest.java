package io.github.qemucpr.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link FakeQmpServer} speaks QMP as QEMU 10.0.2 does; the replies expected here were read from a
 * real {@code qemu-system-x86_64 -machine none} over a raw socket.
 */
class FakeQmpServerProtocolTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** A raw client: sends bytes as given, reads one JSON message per line. */
  static final class Raw implements AutoCloseable {
    final SocketChannel channel;
    private final BufferedReader in;

    Raw(Path socket) throws IOException {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      channel.connect(UnixDomainSocketAddress.of(socket));
      in =
          new BufferedReader(
              new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
      assertThat(next().has("QMP")).as("the greeting").isTrue();
    }

    Raw negotiated() throws IOException {
      send("{\"execute\": \"qmp_capabilities\"}\n");
      assertThat(next().path("return").isObject()).isTrue();
      return this;
    }

    void send(String raw) throws IOException {
      channel.write(ByteBuffer.wrap(raw.getBytes(StandardCharsets.UTF_8)));
    }

    JsonNode next() throws IOException {
      String line = in.readLine();
      assertThat(line).as("a line from the fake").isNotNull();
      return JSON.readTree(line);
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  @Test
  void commandsBeforeNegotiationAreRefusedAsQemuDoes() throws IOException {
    try (FakeQmpServer server = FakeQmpServer.start();
        Raw c = new Raw(server.socketPath())) {
      server.on("query-status", Responders.returns("{\"running\": true}"));
      c.send("{\"execute\": \"query-status\", \"id\": 1}\n");
      JsonNode refused = c.next();
      assertThat(refused.path("error").path("class").asString()).isEqualTo("CommandNotFound");
      assertThat(refused.path("error").path("desc").asString())
          .isEqualTo("Expecting capabilities negotiation with 'qmp_capabilities'");
      assertThat(refused.path("id").asInt()).isEqualTo(1);

      c.negotiated();
      c.send("{\"execute\": \"qmp_capabilities\", \"id\": 2}\n");
      JsonNode twice = c.next();
      assertThat(twice.path("error").path("class").asString()).isEqualTo("CommandNotFound");
      assertThat(twice.path("error").path("desc").asString())
          .isEqualTo("Capabilities negotiation is already complete, command ignored");

      c.send("{\"execute\": \"query-status\", \"id\": 3}\n");
      assertThat(c.next().path("return").path("running").asBoolean()).isTrue();
    }
  }

  @Test
  void aCommandWithoutIdGetsAReplyWithoutId() throws IOException {
    try (FakeQmpServer server = FakeQmpServer.start();
        Raw c = new Raw(server.socketPath()).negotiated()) {
      c.send("{\"execute\": \"query-nothing\"}\n");
      JsonNode error = c.next();
      assertThat(error.has("error")).isTrue();
      assertThat(error.has("id")).as(error.toString()).isFalse();
      server.on("query-status", Responders.returns("{}"));
      c.send("{\"execute\": \"query-status\"}\n");
      JsonNode ok = c.next();
      assertThat(ok.has("return")).isTrue();
      assertThat(ok.has("id")).as(ok.toString()).isFalse();
    }
  }

  @Test
  void inputIsAStreamOfJsonValuesNotLines() throws IOException {
    try (FakeQmpServer server = FakeQmpServer.start();
        Raw c = new Raw(server.socketPath()).negotiated()) {
      server.on("query-status", Responders.returns("{\"running\": true}"));
      c.send("{\"execute\":\n\"query-status\",\n \"id\": 3}");
      assertThat(c.next().path("id").asInt()).isEqualTo(3);
      c.send(
          "{\"execute\": \"query-status\", \"id\": 4}{\"execute\": \"query-status\", \"id\": 5}\n");
      assertThat(c.next().path("id").asInt()).isEqualTo(4);
      assertThat(c.next().path("id").asInt()).isEqualTo(5);
    }
  }

  @Test
  void malformedInputGetsQemusErrorsAndTheConnectionStaysOpen() throws IOException {
    try (FakeQmpServer server = FakeQmpServer.start();
        Raw c = new Raw(server.socketPath()).negotiated()) {
      server.on("query-status", Responders.returns("{\"running\": true}"));
      c.send("{\"execute\" xx}\n");
      assertError(c.next(), "JSON parse error, missing : in object pair");
      c.send("}\n");
      assertError(c.next(), "JSON parse error, expecting value");
      c.send("[1, 2]\n");
      assertError(c.next(), "QMP input must be a JSON object");
      c.send("{\"id\": 8}\n");
      JsonNode lacks = c.next();
      assertError(lacks, "QMP input lacks member 'execute'");
      assertThat(lacks.path("id").asInt()).isEqualTo(8);
      c.send("{\"execute\": \"query-status\", \"id\": 9}\n");
      assertThat(c.next().path("id").asInt()).isEqualTo(9);
    }
  }

  private static void assertError(JsonNode reply, String desc) {
    assertThat(reply.path("error").path("class").asString())
        .as(reply.toString())
        .isEqualTo("GenericError");
    assertThat(reply.path("error").path("desc").asString()).isEqualTo(desc);
  }
}

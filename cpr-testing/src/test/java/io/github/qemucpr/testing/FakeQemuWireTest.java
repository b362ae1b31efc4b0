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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link FakeQemu} on the wire, with a plain socket (cpr-testing depends on no QMP client): what a
 * client sees of its state and its scripts.
 */
class FakeQemuWireTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** A line-by-line QMP client, negotiated. */
  private static final class Wire implements AutoCloseable {
    private final SocketChannel channel;
    private final BufferedReader in;

    Wire(Path socket) throws IOException {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      channel.connect(UnixDomainSocketAddress.of(socket));
      in =
          new BufferedReader(
              new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
      assertThat(next().has("QMP")).as("the greeting").isTrue();
      send("qmp_capabilities");
      assertThat(next().has("return")).isTrue();
    }

    void send(String command) throws IOException {
      channel.write(
          ByteBuffer.wrap(
              ("{\"execute\": \"" + command + "\"}\n").getBytes(StandardCharsets.UTF_8)));
    }

    JsonNode next() throws IOException {
      String line = in.readLine();
      assertThat(line).as("a line from the fake").isNotNull();
      return JSON.readTree(line);
    }

    /** Each line as {@code return}, {@code error} or {@code EVENT status}, up to {@code n}. */
    List<String> read(int n) throws IOException {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        JsonNode m = next();
        if (m.has("event")) {
          String status = m.path("data").path("status").asString("");
          out.add((m.path("event").asString() + " " + status).trim());
        } else {
          out.add(m.has("return") ? "return" : "error");
        }
      }
      return out;
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  @Test
  void aCompletedMigrateSendsQemusEventsInQemusOrderAndEndsInPostmigrate() throws Exception {
    try (FakeQemu qemu = FakeQemu.start();
        Wire wire = new Wire(qemu.socketPath())) {
      wire.send("migrate");
      assertThat(wire.read(6))
          .containsExactly(
              "MIGRATION setup",
              "STOP",
              "return",
              "MIGRATION active",
              "MIGRATION device",
              "MIGRATION completed");
      wire.send("query-status");
      JsonNode status = wire.next().path("return");
      assertThat(status.path("status").asString()).isEqualTo("postmigrate");
      assertThat(qemu.runState()).isEqualTo("postmigrate");
      assertThat(qemu.migrationStatus()).isEqualTo("completed");
      assertThat(qemu.commands()).containsExactly("migrate", "query-status");
    }
  }

  @Test
  void aFailedMigrateResumesTheGuestAndReportsTheError() throws Exception {
    try (FakeQemu qemu = FakeQemu.start()) {
      qemu.migrateScript(FakeQemu.failsWith("No space left on device"));
      try (Wire wire = new Wire(qemu.socketPath())) {
        wire.send("migrate");
        assertThat(wire.read(6))
            .containsExactly(
                "MIGRATION setup",
                "STOP",
                "return",
                "MIGRATION active",
                "MIGRATION failed",
                "RESUME");
        wire.send("query-migrate");
        JsonNode info = wire.next().path("return");
        assertThat(info.path("status").asString()).isEqualTo("failed");
        assertThat(info.path("error-desc").asString()).isEqualTo("No space left on device");
      }
      assertThat(qemu.runState()).isEqualTo("running");
    }
  }

  @Test
  void stateSetByTheTestIsWhatTheClientReads() throws Exception {
    try (FakeQemu qemu = FakeQemu.start()) {
      qemu.runState("inmigrate").mode("cpr-reboot").capability("x-ignore-shared", true);
      try (Wire wire = new Wire(qemu.socketPath())) {
        wire.send("query-status");
        assertThat(wire.next().path("return").path("status").asString()).isEqualTo("inmigrate");
        wire.send("query-migrate-parameters");
        assertThat(wire.next().path("return").path("mode").asString()).isEqualTo("cpr-reboot");
        wire.send("query-migrate-capabilities");
        JsonNode caps = wire.next().path("return");
        assertThat(caps).hasSize(FakeQemu.ALL_CAPABILITIES.size());
        List<String> on = new ArrayList<>();
        caps.forEach(
            c -> {
              if (c.path("state").asBoolean()) {
                on.add(c.path("capability").asString());
              }
            });
        assertThat(on).containsExactly("x-ignore-shared");
      }
      assertThat(qemu.capabilities()).containsEntry("x-ignore-shared", true);
    }
  }

  @Test
  void itPrintsItsStateAndItsScriptsByName() {
    try (FakeQemu qemu = FakeQemu.start()) {
      qemu.addMemdev(FakeQemu.Memdev.memfd("ram0", 64L << 20))
          .migrateScript(FakeQemu.failsWith("No space left on device"))
          .incomingScript(FakeQemu.incomingCompletes("suspended"));
      assertThat(qemu.toString())
          .contains("runState=running")
          .contains("mode=normal")
          .contains("Memdev[id=ram0")
          .contains("migrate=failsWith(No space left on device)")
          .contains("incoming=incomingCompletes(suspended)");
    }
  }
}

package io.github.qemucpr.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.github.qemucpr.testing.FakeQmpServerProtocolTest.Raw;
import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@link FakeQemu} refuses what QEMU 10.0.2 refuses, with its error class and text; the texts were
 * read from a real {@code qemu-system-x86_64 -machine none}, with and without {@code -incoming
 * defer}, over a raw socket.
 */
class FakeQemuRefusalsTest {

  private static JsonNode exec(Raw c, String command, String arguments) throws IOException {
    c.send("{\"execute\": \"" + command + "\", \"arguments\": " + arguments + "}\n");
    while (true) {
      JsonNode m = c.next();
      if (!m.has("event")) {
        return m;
      }
    }
  }

  private static void assertRefused(JsonNode reply, String desc) {
    assertThat(reply.path("error").path("class").asString())
        .as(reply.toString())
        .isEqualTo("GenericError");
    assertThat(reply.path("error").path("desc").asString()).isEqualTo(desc);
  }

  private static final String MIGRATE =
      "{\"channels\": [{\"channel-type\": \"main\", \"addr\": {\"transport\": \"file\","
          + " \"filename\": \"/tmp/x\", \"offset\": 0}}]}";

  @Test
  void migrateIsRefusedOnAQemuWaitingForAnIncomingMigration() throws IOException {
    try (FakeQemu qemu = FakeQemu.start().runState("inmigrate");
        Raw c = new Raw(qemu.socketPath()).negotiated()) {
      assertRefused(exec(c, "migrate", MIGRATE), "Guest is waiting for an incoming migration");
      assertThat(qemu.migrationStatus()).isEqualTo("none");
    }
  }

  @Test
  void aSecondMigrateIsRefusedWhileTheFirstIsActive() throws IOException {
    try (FakeQemu qemu = FakeQemu.start().migrateScript(FakeQemu.hangs());
        Raw c = new Raw(qemu.socketPath()).negotiated()) {
      assertThat(exec(c, "migrate", MIGRATE).has("return")).isTrue();
      assertRefused(exec(c, "migrate", MIGRATE), "There's a migration process in progress");
      assertThat(qemu.requests("migrate")).hasSize(2);
    }
  }

  @Test
  void postcopyAndOtherConflictsAreRefusedWithACprMode() throws IOException {
    try (FakeQemu qemu = FakeQemu.start();
        Raw c = new Raw(qemu.socketPath()).negotiated()) {
      assertThat(exec(c, "migrate-set-parameters", "{\"mode\": \"cpr-reboot\"}").has("return"))
          .isTrue();
      String postcopy = "{\"capabilities\": [{\"capability\": \"postcopy-ram\", \"state\": true}]}";
      assertThat(exec(c, "migrate-set-capabilities", postcopy).has("return")).isTrue();
      assertRefused(exec(c, "migrate", MIGRATE), "Cannot use postcopy with CPR");
      qemu.capability("postcopy-ram", false).capability("background-snapshot", true);
      assertRefused(exec(c, "migrate", MIGRATE), "Cannot use background snapshot with CPR");
      assertThat(qemu.runState()).isEqualTo("running");
    }
  }

  @Test
  void migrateIncomingNeedsIncomingDeferAndRunsOnce() throws IOException {
    try (FakeQemu qemu = FakeQemu.start();
        Raw c = new Raw(qemu.socketPath()).negotiated()) {
      assertRefused(
          exec(c, "migrate-incoming", "{\"uri\": \"unix:/tmp/in.sock\"}"),
          "'-incoming' was not specified on the command line");
      assertThat(qemu.migrationStatus()).isEqualTo("none");
    }
    try (FakeQemu qemu = FakeQemu.start().runState("inmigrate");
        Raw c = new Raw(qemu.socketPath()).negotiated()) {
      assertThat(exec(c, "migrate-incoming", "{\"uri\": \"unix:/tmp/in.sock\"}").has("return"))
          .isTrue();
      assertRefused(
          exec(c, "migrate-incoming", "{\"uri\": \"unix:/tmp/in.sock\"}"),
          "The incoming migration has already been started");
    }
  }

  @Test
  void unknownModesAndCapabilitiesAreRefusedAndChangeNothing() throws IOException {
    try (FakeQemu qemu = FakeQemu.start();
        Raw c = new Raw(qemu.socketPath()).negotiated()) {
      assertRefused(
          exec(c, "migrate-set-parameters", "{\"mode\": \"cpr-bogus\"}"),
          "Parameter 'mode' does not accept value 'cpr-bogus'");
      assertThat(qemu.mode()).isEqualTo("normal");
      assertRefused(
          exec(
              c,
              "migrate-set-capabilities",
              "{\"capabilities\": [{\"capability\": \"events\", \"state\": true},"
                  + " {\"capability\": \"bogus\", \"state\": true}]}"),
          "Parameter 'capability' does not accept value 'bogus'");
      assertThat(qemu.capabilities()).doesNotContainKey("bogus").containsEntry("events", false);
    }
  }

  @Test
  void contLeavesASuspendedGuestSuspendedAndSystemWakeupWakesIt() throws IOException {
    try (FakeQemu qemu = FakeQemu.start();
        Raw c = new Raw(qemu.socketPath()).negotiated()) {
      qemu.suspendGuest();
      assertThat(c.next().path("event").asString()).isEqualTo("SUSPEND");
      assertThat(exec(c, "cont", "{}").has("return")).isTrue();
      assertThat(qemu.runState()).isEqualTo("suspended");
      c.send("{\"execute\": \"system_wakeup\"}\n");
      assertThat(c.next().has("return")).isTrue();
      assertThat(c.next().path("event").asString()).isEqualTo("WAKEUP");
      assertThat(qemu.runState()).isEqualTo("running");
    }
  }

  @Test
  void systemWakeupIsRefusedOnAGuestWithoutWakeupSupport() throws IOException {
    try (FakeQemu qemu = FakeQemu.start().wakeupSupport(false);
        Raw c = new Raw(qemu.socketPath()).negotiated()) {
      qemu.suspendGuest();
      assertRefused(
          exec(c, "system_wakeup", "{}"), "wake-up from suspend is not supported by this guest");
      assertThat(qemu.runState()).isEqualTo("suspended");
    }
  }

  @Test
  void quitRemovesTheMonitorsSocketFile() throws IOException {
    try (FakeQemu qemu = FakeQemu.start();
        Raw c = new Raw(qemu.socketPath()).negotiated()) {
      assertThat(exec(c, "quit", "{}").has("return")).isTrue();
      assertThat(c.channel.read(java.nio.ByteBuffer.allocate(1))).as("hung up").isEqualTo(-1);
      assertThat(Files.exists(qemu.socketPath())).isFalse();
    }
  }

  @Test
  void aGuestSuspendsWithNoClientConnected() {
    try (FakeQemu qemu = FakeQemu.start()) {
      assertThatCode(qemu::suspendGuest).doesNotThrowAnyException();
      assertThat(qemu.runState()).isEqualTo("suspended");
    }
  }
}

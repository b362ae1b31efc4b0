package io.github.qemucpr.api.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprCheckpointException;
import io.github.qemucpr.api.CprCheckpointException.Reason;
import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprRestoreResult;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.RunState;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Fault 7: between save and restore, the state file is deleted, truncated or has one byte flipped,
 * or the manifest is edited. Each copy of the checkpoint is damaged one way and offered to the same
 * {@code -incoming defer} QEMU, which must come out of every attempt untouched (run state,
 * migration status, mode, fd sets); the good checkpoint then restores into it.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TamperedCheckpointIT extends FaultTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @FunctionalInterface
  interface Damage {
    void apply(Path state) throws IOException;
  }

  private record Case(Damage damage, Reason reason, String message) {}

  @Test
  void everyDamagedCopyIsRefusedBeforeQemuIsTouched() throws Exception {
    Path good = Files.createDirectory(dir.resolve("good")).resolve("vm.state");
    Map<String, Case> cases = new LinkedHashMap<>();
    cases.put("state file deleted", new Case(Files::delete, Reason.MISSING, "does not exist"));
    cases.put(
        "state file truncated",
        new Case(s -> truncate(s, Files.size(s) - 1), Reason.TAMPERED, "(truncated)"));
    cases.put("state file emptied", new Case(s -> truncate(s, 0), Reason.TAMPERED, "(truncated)"));
    cases.put(
        "one byte flipped",
        new Case(s -> flipByte(s, Files.size(s) / 2), Reason.TAMPERED, "has SHA-256"));
    cases.put(
        "one byte appended",
        new Case(
            s -> Files.write(s, new byte[] {0}, StandardOpenOption.APPEND),
            Reason.TAMPERED,
            "its manifest says"));
    cases.put(
        "manifest: another size",
        new Case(
            s -> editManifest(s, m -> ((ObjectNode) m.get("state-file")).put("size", 12345)),
            Reason.TAMPERED,
            "its manifest says 12345"));
    cases.put(
        "manifest: another SHA-256",
        new Case(
            s ->
                editManifest(
                    s, m -> ((ObjectNode) m.get("state-file")).put("sha256", "0".repeat(64))),
            Reason.TAMPERED,
            "its manifest says 0000"));
    cases.put(
        "manifest: marked restored",
        new Case(
            s ->
                editManifest(
                    s,
                    m ->
                        ((ObjectNode) m.get("restore"))
                            .put("restored", true)
                            .put("finished", "2025-01-01T00:00:00Z")),
            Reason.ALREADY_RESTORED,
            "was restored already"));
    cases.put(
        "manifest: another mode",
        new Case(
            s -> editManifest(s, m -> m.put("mode", "normal")),
            Reason.MANIFEST_UNREADABLE,
            "only cpr-reboot"));
    cases.put(
        "manifest: not JSON",
        new Case(
            s -> Files.writeString(CprManifest.pathFor(s), "{\"format\": "),
            Reason.MANIFEST_UNREADABLE,
            "cannot be used"));
    cases.put(
        "manifest: another format version",
        new Case(
            s -> editManifest(s, m -> m.put("format-version", 99)),
            Reason.MANIFEST_UNREADABLE,
            "format version 99"));

    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).build()) {
      try (QemuInstance source = vm.start();
          QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
        CprReboot.save(qmp).to(good).run();
        assertThat(source.awaitExit(Duration.ofSeconds(30))).isZero();
      }
      Checkpoint original = Checkpoint.capture(good);

      try (QemuInstance target = vm.startIncoming();
          QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
        int n = 0;
        for (Map.Entry<String, Case> c : cases.entrySet()) {
          Path copy = Files.createDirectory(dir.resolve("copy" + n++)).resolve("vm.state");
          Files.copy(good, copy);
          Files.copy(CprManifest.pathFor(good), CprManifest.pathFor(copy));
          c.getValue().damage().apply(copy);
          byte[] stateAfterDamage = Files.exists(copy) ? Files.readAllBytes(copy) : null;
          byte[] manifestAfterDamage = Files.readAllBytes(CprManifest.pathFor(copy));

          CprCheckpointException e =
              catchThrowableOfType(
                  CprCheckpointException.class,
                  () -> CprReboot.restore(qmp).from(copy).progressListener(recordEvents()).run());

          assertThat(e).as(c.getKey()).isNotNull();
          assertThat(e.reason()).as(c.getKey()).isEqualTo(c.getValue().reason());
          assertThat(e.phase()).isEqualTo(CprPhase.VERIFY);
          assertThat(e.recovery()).isEqualTo(VmRecovery.UNTOUCHED);
          assertThat(e)
              .as(c.getKey())
              .hasMessageStartingWith("VERIFY: ")
              .hasMessageContaining(c.getValue().message())
              .hasMessageContaining("The VM was not touched");
          assertThat(e.stateFile()).isEqualTo(copy);
          assertUntouchedIncoming(qmp);
          // The refusal changed nothing on disk either.
          if (stateAfterDamage != null) {
            assertThat(Files.readAllBytes(copy)).isEqualTo(stateAfterDamage);
          }
          assertThat(Files.readAllBytes(CprManifest.pathFor(copy))).isEqualTo(manifestAfterDamage);
        }
        original.assertIntact();
        CprRestoreResult restored = CprReboot.restore(qmp).from(good).run();
        assertThat(restored.runState()).isEqualTo(RunState.RUNNING);
        assertThat(runState(qmp)).isEqualTo(RunState.RUNNING);
      }
    }
  }

  private static void truncate(Path file, long size) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(size);
    }
  }

  private static void flipByte(Path file, long position) throws IOException {
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
      ch.read(b, position);
      b.put(0, (byte) (b.get(0) ^ 0x01));
      b.rewind();
      ch.write(b, position);
    }
  }

  private interface Edit {
    void apply(ObjectNode manifest);
  }

  private static void editManifest(Path state, Edit edit) throws IOException {
    Path manifest = CprManifest.pathFor(state);
    ObjectNode root = (ObjectNode) JSON.readTree(Files.readAllBytes(manifest));
    edit.apply(root);
    Files.write(manifest, JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8));
  }
}

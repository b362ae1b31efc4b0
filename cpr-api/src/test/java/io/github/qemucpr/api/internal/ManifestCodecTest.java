package io.github.qemucpr.api.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.qmp.command.RunState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestCodecTest {
  @TempDir Path dir;

  static CprManifest sample() {
    return CprManifest.builder()
        .formatVersion(1)
        .qemuVersion("10.0.2")
        .mode("cpr-reboot")
        .capabilities(List.of("events", "x-ignore-shared"))
        .memoryBackends(
            List.of(
                new CprManifest.RamBackend(
                    "ram0",
                    "memory-backend-file",
                    64L << 20,
                    "/dev/shm/ram0",
                    true,
                    true,
                    CprManifest.RamFile.builder()
                        .fileSystem("tmpfs")
                        .device(25)
                        .inode(4711)
                        .size(64L << 20)
                        .modifiedAt(Instant.parse("2025-01-02T03:00:00.123456789Z"))
                        .hostBootId("0f6c4a8e-63b2-4bbd-9d4b-0b2c1e0c1d2e")
                        .build()),
                new CprManifest.RamBackend(
                    "dax",
                    "memory-backend-file",
                    2L << 30,
                    "/dev/dax0.0",
                    true,
                    true,
                    CprManifest.RamFile.builder()
                        .fileSystem("devtmpfs")
                        .device(5)
                        .inode(812)
                        .size(0)
                        .characterDevice(0xfc00L)
                        .build()),
                new CprManifest.RamBackend(
                    "mem1", "memory-backend-memfd", 1L << 20, null, true, false)))
        .memorySavedInPlace(false)
        .suspendedByUs(true)
        .runStateBefore(RunState.RUNNING)
        .stateFileName("vm.state")
        .stateFileSize(12345)
        .stateFileSha256("ab".repeat(32))
        .blackoutStartedAt(Instant.parse("2025-01-02T03:04:05.123456Z"))
        .savedAt(Instant.parse("2025-01-02T03:04:06Z"))
        .qemuDowntime(Duration.ofMillis(3))
        .build();
  }

  @Test
  void roundTripsEveryField() {
    CprManifest m = sample();
    assertThat(ManifestCodec.decode(ManifestCodec.encode(m))).isEqualTo(m);
    CprManifest restored =
        ManifestCodec.withRestored(
            ManifestCodec.withRestoreStarted(m, Instant.parse("2025-01-02T03:05:00Z")),
            Instant.parse("2025-01-02T03:05:01Z"));
    assertThat(ManifestCodec.decode(ManifestCodec.encode(restored))).isEqualTo(restored);
    assertThat(restored.restored()).isTrue();
  }

  @Test
  void writesReadableJsonWithTheDocumentedNames() {
    String json = new String(ManifestCodec.encode(sample()), StandardCharsets.UTF_8);
    assertThat(json)
        .contains(
            "\"format\" : \"qemu-cpr-java checkpoint\"",
            "\"format-version\" : 1",
            "\"qemu-version\" : \"10.0.2\"",
            "\"mode\" : \"cpr-reboot\"",
            "\"suspended-by-us\" : true",
            "\"runstate-before\" : \"running\"",
            "\"sha256\" : \"abab",
            "\"mem-path\" : \"/dev/shm/ram0\"",
            "\"restored\" : false")
        .endsWith("\n");
  }

  @Test
  void readsAManifestWrittenBeforeRamFilesWereRecorded() {
    String old =
        new String(ManifestCodec.encode(sample()), StandardCharsets.UTF_8)
            .replaceAll("(?s),\\s*\"file\" : \\{[^}]*\\}", "");
    assertThat(old).doesNotContain("\"file\"").doesNotContain("inode");
    CprManifest m = ManifestCodec.decode(old.getBytes(StandardCharsets.UTF_8));
    assertThat(m.memoryBackends()).extracting(CprManifest.RamBackend::file).containsOnlyNulls();
    assertThat(m.memoryBackends().get(0).memPath()).isEqualTo("/dev/shm/ram0");
  }

  @Test
  void writesTheRamFileIdentity() {
    String json = new String(ManifestCodec.encode(sample()), StandardCharsets.UTF_8);
    assertThat(json)
        .contains(
            "\"file-system\" : \"tmpfs\"",
            "\"inode\" : 4711",
            "\"host-boot-id\" : \"0f6c4a8e",
            "\"character-device\" : 64512",
            "\"modified\" : \"2025-01-02T03:00:00.123456789Z\"");
  }

  private static CprManifest withIdentities(CprManifest m) {
    List<CprManifest.RamBackend> backends =
        List.of(
            new CprManifest.RamBackend(
                "ram0",
                "memory-backend-file",
                64L << 20,
                "/var/lib/vm/ram0",
                true,
                true,
                CprManifest.RamFile.builder()
                    .fileSystem("ext4")
                    .device(2049)
                    .inode(4711)
                    .size(64L << 20)
                    .modifiedAt(Instant.parse("2025-01-02T03:00:00.123456789Z"))
                    .hostBootId("0f6c4a8e")
                    .contentSample(
                        new CprManifest.ContentSample(
                            4096, List.of(0L, 4L << 20, 60L << 20), "cd".repeat(32)))
                    .build()),
            new CprManifest.RamBackend(
                "dax",
                "memory-backend-file",
                2L << 30,
                "/dev/dax0.0",
                true,
                true,
                CprManifest.RamFile.builder()
                    .fileSystem("devtmpfs")
                    .device(5)
                    .inode(812)
                    .size(0)
                    .characterDevice(0xfc00L)
                    .daxDevice(
                        new CprManifest.DaxDevice(
                            "dax0.0", 2L << 30, "8a8a2b2c-1f2e-4d3c-9b8a-7c6d5e4f3a2b"))
                    .build()),
            new CprManifest.RamBackend(
                "dax1",
                "memory-backend-file",
                1L << 30,
                "/dev/dax1.0",
                true,
                true,
                CprManifest.RamFile.builder()
                    .fileSystem("devtmpfs")
                    .device(5)
                    .inode(813)
                    .size(0)
                    .characterDevice(0xfc01L)
                    .daxDevice(new CprManifest.DaxDevice("dax1.0", 1L << 30, null))
                    .build()));
    return m.toBuilder().memoryBackends(backends).build();
  }

  @Test
  void roundTripsTheContentSampleAndTheDaxDevice() {
    CprManifest m = withIdentities(sample());
    assertThat(ManifestCodec.decode(ManifestCodec.encode(m))).isEqualTo(m);
    String json = new String(ManifestCodec.encode(m), StandardCharsets.UTF_8);
    assertThat(json)
        .contains(
            "\"content-sample\" : {",
            "\"page-size\" : 4096",
            "\"sha256\" : \"cdcd",
            "\"dax-device\" : {",
            "\"name\" : \"dax0.0\"",
            "\"uuid\" : \"8a8a2b2c-1f2e-4d3c-9b8a-7c6d5e4f3a2b\"");
  }

  /** A manifest of the first RAM file identities: a modification time, no sample, no DAX device. */
  @Test
  void readsAManifestWhoseRamFilesHaveOnlyAModificationTime() {
    String json = new String(ManifestCodec.encode(sample()), StandardCharsets.UTF_8);
    assertThat(json)
        .contains("\"modified\"")
        .doesNotContain("content-sample")
        .doesNotContain("dax-device");
    CprManifest m = ManifestCodec.decode(json.getBytes(StandardCharsets.UTF_8));
    CprManifest.RamFile f = m.memoryBackends().get(0).file();
    assertThat(f).isNotNull();
    assertThat(f.modifiedAt()).isEqualTo(Instant.parse("2025-01-02T03:00:00.123456789Z"));
    assertThat(f.contentSample()).isNull();
    assertThat(m.memoryBackends().get(1).file().daxDevice()).isNull();
    assertThat(m).isEqualTo(sample());
  }

  @Test
  void refusesOtherJsonAndOtherVersions() {
    assertThatThrownBy(() -> ManifestCodec.decode("{}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a checkpoint");
    assertThatThrownBy(() -> ManifestCodec.decode("nope".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not JSON");
    String v2 =
        new String(ManifestCodec.encode(sample()), StandardCharsets.UTF_8)
            .replace("\"format-version\" : 1", "\"format-version\" : 2");
    assertThatThrownBy(() -> ManifestCodec.decode(v2.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("version 2");
    String noSize =
        new String(ManifestCodec.encode(sample()), StandardCharsets.UTF_8)
            .replace("\"size\" : 12345,", "");
    assertThatThrownBy(() -> ManifestCodec.decode(noSize.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"size\"");
  }

  @Test
  void writesAtomicallyWithOwnerOnlyPermissions() throws Exception {
    Path path = dir.resolve("vm.state.json");
    Files.writeString(path, "old");
    ManifestCodec.write(path, sample());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path)))
        .isEqualTo("rw-------");
    assertThat(ManifestCodec.read(path)).contains(sample());
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(path); // no temp file left
    }
    assertThat(ManifestCodec.read(dir.resolve("missing.json"))).isEmpty();
    assertThat(CprManifest.pathFor(dir.resolve("vm.state"))).isEqualTo(path);
  }
}

package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.api.internal.ManifestCodec;
import io.github.qemucpr.qmp.command.RunState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * {@link CprManifest} is a value that can grow: built, copied with {@code toBuilder}, compared and
 * printed by name. Its JSON form is pinned elsewhere ({@code ManifestFixturesTest}).
 */
class CprManifestTest {
  static final CprManifest.RamBackend RAM =
      new CprManifest.RamBackend(
          "ram0", "memory-backend-file", 64L << 20, "/dev/shm/ram0", true, true);

  static CprManifest sample() {
    return CprManifest.builder()
        .qemuVersion("10.0.2")
        .mode("cpr-reboot")
        .capabilities(List.of("events", "x-ignore-shared"))
        .memoryBackends(List.of(RAM))
        .memorySavedInPlace(true)
        .suspendedByUs(true)
        .runStateBefore(RunState.RUNNING)
        .stateFileName("vm.state")
        .stateFileSize(12345)
        .stateFileSha256("ab".repeat(32))
        .blackoutStartedAt(Instant.parse("2025-01-02T03:04:05Z"))
        .savedAt(Instant.parse("2025-01-02T03:04:06Z"))
        .qemuDowntime(Duration.ofMillis(3))
        .restoreStartedAt(Instant.parse("2025-01-02T03:10:00Z"))
        .restoredAt(Instant.parse("2025-01-02T03:10:01Z"))
        .build();
  }

  @Test
  void theBuilderSetsEveryValue() {
    CprManifest m = sample();
    assertThat(m.formatVersion()).isEqualTo(CprManifest.FORMAT_VERSION); // unless set
    assertThat(m.qemuVersion()).isEqualTo("10.0.2");
    assertThat(m.mode()).isEqualTo("cpr-reboot");
    assertThat(m.capabilities()).containsExactly("events", "x-ignore-shared");
    assertThat(m.memoryBackends()).containsExactly(RAM);
    assertThat(m.memorySavedInPlace()).isTrue();
    assertThat(m.suspendedByUs()).isTrue();
    assertThat(m.runStateBefore()).isEqualTo(RunState.RUNNING);
    assertThat(m.stateFileName()).isEqualTo("vm.state");
    assertThat(m.stateFileSize()).isEqualTo(12345);
    assertThat(m.stateFileSha256()).isEqualTo("ab".repeat(32));
    assertThat(m.blackoutStartedAt()).isEqualTo(Instant.parse("2025-01-02T03:04:05Z"));
    assertThat(m.savedAt()).isEqualTo(Instant.parse("2025-01-02T03:04:06Z"));
    assertThat(m.qemuDowntime()).isEqualTo(Duration.ofMillis(3));
    assertThat(m.restoreStartedAt()).isEqualTo(Instant.parse("2025-01-02T03:10:00Z"));
    assertThat(m.restoredAt()).isEqualTo(Instant.parse("2025-01-02T03:10:01Z"));
    assertThat(m.restored()).isTrue();
  }

  @Test
  void theListsAreCopied() {
    List<String> caps = new ArrayList<>(List.of("events"));
    CprManifest m = sample().toBuilder().capabilities(caps).build();
    caps.add("x-ignore-shared");
    assertThat(m.capabilities()).containsExactly("events");
    assertThatThrownBy(() -> m.memoryBackends().clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void toBuilderMakesAnEqualManifestThatEncodesTheSame() {
    CprManifest m = sample();
    CprManifest copy = m.toBuilder().build();
    assertThat(copy).isEqualTo(m).hasSameHashCodeAs(m).isNotSameAs(m);
    assertThat(ManifestCodec.encode(copy)).isEqualTo(ManifestCodec.encode(m));
    CprManifest unmarked = m.toBuilder().restoreStartedAt(null).restoredAt(null).build();
    assertThat(unmarked.restored()).isFalse();
    assertThat(unmarked).isNotEqualTo(m);
    assertThat(unmarked.stateFileSha256()).isEqualTo(m.stateFileSha256());
  }

  @Test
  void everyValueTakesPartInEquality() {
    CprManifest m = sample();
    List<UnaryOperator<CprManifest.Builder>> changes =
        List.of(
            b -> b.formatVersion(2),
            b -> b.qemuVersion("10.1.0"),
            b -> b.mode("cpr-transfer"),
            b -> b.capabilities(List.of()),
            b -> b.memoryBackends(List.of()),
            b -> b.memorySavedInPlace(false),
            b -> b.suspendedByUs(false),
            b -> b.runStateBefore(RunState.PAUSED),
            b -> b.stateFileName("other.state"),
            b -> b.stateFileSize(1),
            b -> b.stateFileSha256("cd".repeat(32)),
            b -> b.blackoutStartedAt(null),
            b -> b.savedAt(Instant.EPOCH),
            b -> b.qemuDowntime(null),
            b -> b.restoreStartedAt(null),
            b -> b.restoredAt(null));
    for (UnaryOperator<CprManifest.Builder> change : changes) {
      assertThat(change.apply(m.toBuilder()).build()).isNotEqualTo(m);
    }
  }

  @Test
  void toStringNamesEveryValueAsARecordDoes() {
    assertThat(sample().toString())
        .startsWith("CprManifest[formatVersion=1, qemuVersion=10.0.2, mode=cpr-reboot, ")
        .contains(
            "capabilities=[events, x-ignore-shared]",
            "memoryBackends=[RamBackend[id=ram0, type=memory-backend-file,",
            "memorySavedInPlace=true",
            "suspendedByUs=true",
            "runStateBefore=running",
            "stateFileName=vm.state",
            "stateFileSize=12345",
            "stateFileSha256=" + "ab".repeat(32),
            "blackoutStartedAt=2025-01-02T03:04:05Z",
            "savedAt=2025-01-02T03:04:06Z",
            "qemuDowntime=PT0.003S",
            "restoreStartedAt=2025-01-02T03:10:00Z",
            "restoredAt=2025-01-02T03:10:01Z")
        .endsWith("]");
  }

  @Test
  void requiredValuesAreNamedWhenMissing() {
    CprManifest.Builder b = CprManifest.builder();
    assertThatThrownBy(b::build)
        .isInstanceOf(NullPointerException.class)
        .hasMessage("qemuVersion is required");
    b.qemuVersion("10.0.2");
    assertThatThrownBy(b::build).hasMessage("mode is required");
    b.mode("cpr-reboot");
    assertThatThrownBy(b::build).hasMessage("runStateBefore is required");
    b.runStateBefore(RunState.RUNNING);
    assertThatThrownBy(b::build).hasMessage("stateFileName is required");
    b.stateFileName("vm.state");
    assertThatThrownBy(b::build).hasMessage("stateFileSha256 is required");
    b.stateFileSha256("ab".repeat(32));
    assertThatThrownBy(b::build)
        .isInstanceOf(NullPointerException.class)
        .hasMessage("savedAt is required");
    CprManifest m = b.savedAt(Instant.EPOCH).build();
    assertThat(m.capabilities()).isEmpty();
    assertThat(m.memoryBackends()).isEmpty();
    assertThat(m.restored()).isFalse();
    assertThatThrownBy(() -> CprManifest.builder().capabilities(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("capabilities");
    assertThatThrownBy(() -> CprManifest.builder().savedAt(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("savedAt");
  }

  static CprManifest.RamFile ramFile() {
    return CprManifest.RamFile.builder()
        .fileSystem("devtmpfs")
        .device(5)
        .inode(812)
        .size(2L << 30)
        .characterDevice(0xfc00L)
        .modifiedAt(Instant.parse("2025-01-02T03:00:00Z"))
        .hostBootId("0f6c4a8e")
        .contentSample(new CprManifest.ContentSample(4096, List.of(0L, 8192L), "cd".repeat(32)))
        .daxDevice(new CprManifest.DaxDevice("dax0.0", 2L << 30, "uuid-1"))
        .build();
  }

  @Test
  void aRamFileIsAValueThatCanGrowToo() {
    CprManifest.RamFile f = ramFile();
    assertThat(f.fileSystem()).isEqualTo("devtmpfs");
    assertThat(f.device()).isEqualTo(5);
    assertThat(f.inode()).isEqualTo(812);
    assertThat(f.size()).isEqualTo(2L << 30);
    assertThat(f.characterDevice()).isEqualTo(0xfc00L);
    assertThat(f.modifiedAt()).isEqualTo(Instant.parse("2025-01-02T03:00:00Z"));
    assertThat(f.hostBootId()).isEqualTo("0f6c4a8e");
    assertThat(f.contentSample().offsets()).containsExactly(0L, 8192L);
    assertThat(f.daxDevice().name()).isEqualTo("dax0.0");
    assertThat(f.toBuilder().build()).isEqualTo(f).hasSameHashCodeAs(f).isNotSameAs(f);
    assertThat(f.toBuilder().daxDevice(null).build()).isNotEqualTo(f);
    assertThat(f.toBuilder().inode(813).build()).isNotEqualTo(f);
    assertThat(f.toString())
        .isEqualTo(
            "RamFile[fileSystem=devtmpfs, device=5, inode=812, size=2147483648,"
                + " characterDevice=64512, modifiedAt=2025-01-02T03:00:00Z, hostBootId=0f6c4a8e,"
                + " contentSample=ContentSample[pageSize=4096, offsets=[0, 8192], sha256="
                + "cd".repeat(32)
                + "], daxDevice=DaxDevice[name=dax0.0, size=2147483648, uuid=uuid-1]]");
    CprManifest.RamFile plain = CprManifest.RamFile.builder().fileSystem("tmpfs").build();
    assertThat(plain.characterDevice()).isNull();
    assertThat(plain.contentSample()).isNull();
    assertThat(plain.daxDevice()).isNull();
    assertThatThrownBy(() -> CprManifest.RamFile.builder().build())
        .isInstanceOf(NullPointerException.class)
        .hasMessage("fileSystem is required");
    assertThatThrownBy(() -> CprManifest.RamFile.builder().fileSystem(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("fileSystem");
  }

  @Test
  void aManifestWithRamFilesRoundTripsThroughItsJson() {
    CprManifest m =
        sample().toBuilder()
            .memoryBackends(
                List.of(
                    new CprManifest.RamBackend(
                        "dax",
                        "memory-backend-file",
                        2L << 30,
                        "/dev/dax0.0",
                        true,
                        true,
                        ramFile()),
                    RAM))
            .build();
    assertThat(ManifestCodec.decode(ManifestCodec.encode(m))).isEqualTo(m);
  }
}

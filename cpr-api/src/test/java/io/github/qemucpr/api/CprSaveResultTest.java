package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.command.RunState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** {@link CprSaveResult} is a value that can grow: built, copied, compared and printed by name. */
class CprSaveResultTest {
  static final PreflightReport PREFLIGHT =
      new PreflightReport(
          "QEMU 10.0.2 (/run/vm1/qmp.sock)", List.of(), 4096, true, List.of(), false);

  static CprSaveResult sample() {
    Map<CprPhase, Duration> phases = new LinkedHashMap<>();
    phases.put(CprPhase.MIGRATE, Duration.ofMillis(700)); // out of order on purpose
    phases.put(CprPhase.PREFLIGHT, Duration.ofMillis(20));
    return CprSaveResult.builder()
        .stateFile(Path.of("/var/lib/vm1/vm.state"))
        .manifestFile(Path.of("/var/lib/vm1/vm.state.json"))
        .bytesWritten(123_456)
        .sha256("ab".repeat(32))
        .blackout(Duration.ofMillis(800))
        .qemuDowntime(Duration.ofMillis(650))
        .phaseDurations(phases)
        .total(Duration.ofMillis(900))
        .memorySavedInPlace(true)
        .suspendedByUs(true)
        .runStateBefore(RunState.RUNNING)
        .quit(true)
        .preflight(PREFLIGHT)
        .build();
  }

  @Test
  void theBuilderSetsEveryValue() {
    CprSaveResult r = sample();
    assertThat(r.stateFile()).isEqualTo(Path.of("/var/lib/vm1/vm.state"));
    assertThat(r.manifestFile()).isEqualTo(Path.of("/var/lib/vm1/vm.state.json"));
    assertThat(r.bytesWritten()).isEqualTo(123_456);
    assertThat(r.sha256()).isEqualTo("ab".repeat(32));
    assertThat(r.blackout()).isEqualTo(Duration.ofMillis(800));
    assertThat(r.qemuDowntime()).isEqualTo(Duration.ofMillis(650));
    assertThat(r.phaseDurations().keySet())
        .containsExactly(CprPhase.PREFLIGHT, CprPhase.MIGRATE); // phase order
    assertThat(r.duration(CprPhase.MIGRATE)).isEqualTo(Duration.ofMillis(700));
    assertThat(r.duration(CprPhase.QUIT)).isZero();
    assertThat(r.total()).isEqualTo(Duration.ofMillis(900));
    assertThat(r.memorySavedInPlace()).isTrue();
    assertThat(r.suspendedByUs()).isTrue();
    assertThat(r.runStateBefore()).isEqualTo(RunState.RUNNING);
    assertThat(r.quit()).isTrue();
    assertThat(r.preflight()).isEqualTo(PREFLIGHT);
    assertThatThrownBy(() -> r.phaseDurations().clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void toBuilderMakesAnEqualResultAndChangesOneValue() {
    CprSaveResult r = sample();
    assertThat(r.toBuilder().build()).isEqualTo(r).hasSameHashCodeAs(r).isNotSameAs(r);
    CprSaveResult other = r.toBuilder().blackout(Duration.ofSeconds(2)).build();
    assertThat(other).isNotEqualTo(r);
    assertThat(other.blackout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(other.sha256()).isEqualTo(r.sha256());
    assertThat(r.toBuilder().qemuDowntime(null).build().qemuDowntime()).isNull();
  }

  @Test
  void everyValueTakesPartInEquality() {
    CprSaveResult r = sample();
    List<UnaryOperator<CprSaveResult.Builder>> changes =
        List.of(
            b -> b.stateFile(Path.of("/other")),
            b -> b.manifestFile(Path.of("/other.json")),
            b -> b.bytesWritten(1),
            b -> b.sha256("cd".repeat(32)),
            b -> b.blackout(Duration.ZERO),
            b -> b.qemuDowntime(null),
            b -> b.phaseDurations(Map.of()),
            b -> b.total(Duration.ofSeconds(9)),
            b -> b.memorySavedInPlace(false),
            b -> b.suspendedByUs(false),
            b -> b.runStateBefore(RunState.PAUSED),
            b -> b.quit(false),
            b -> b.preflight(new PreflightReport("QEMU 9", List.of(), 0, false, List.of(), false)));
    for (UnaryOperator<CprSaveResult.Builder> change : changes) {
      assertThat(change.apply(r.toBuilder()).build()).isNotEqualTo(r);
    }
  }

  @Test
  void toStringNamesEveryValueAsARecordDoes() {
    String s = sample().toString();
    assertThat(s)
        .startsWith("CprSaveResult[stateFile=/var/lib/vm1/vm.state, ")
        .contains(
            "manifestFile=/var/lib/vm1/vm.state.json",
            "bytesWritten=123456",
            "sha256=" + "ab".repeat(32),
            "blackout=PT0.8S",
            "qemuDowntime=PT0.65S",
            "phaseDurations={PREFLIGHT=PT0.02S, MIGRATE=PT0.7S}",
            "total=PT0.9S",
            "memorySavedInPlace=true",
            "suspendedByUs=true",
            "runStateBefore=running",
            "quit=true",
            "preflight=Preflight of QEMU 10.0.2")
        .endsWith("]");
  }

  @Test
  void requiredValuesAreNamedWhenMissing() {
    assertRequired(b -> b, "stateFile is required");
    assertRequired(b -> b.stateFile(Path.of("/s")), "manifestFile is required");
    UnaryOperator<CprSaveResult.Builder> files =
        b -> b.stateFile(Path.of("/s")).manifestFile(Path.of("/s.json"));
    assertRequired(files, "sha256 is required");
    assertRequired(b -> files.apply(b).sha256("x"), "blackout is required");
    assertRequired(b -> files.apply(b).sha256("x").blackout(Duration.ZERO), "total is required");
    assertRequired(
        b -> files.apply(b).sha256("x").blackout(Duration.ZERO).total(Duration.ZERO),
        "runStateBefore is required");
    assertRequired(
        b ->
            files
                .apply(b)
                .sha256("x")
                .blackout(Duration.ZERO)
                .total(Duration.ZERO)
                .runStateBefore(RunState.RUNNING),
        "preflight is required");
    assertThatThrownBy(() -> CprSaveResult.builder().blackout(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("blackout");
    assertThatThrownBy(() -> CprSaveResult.builder().phaseDurations(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("phaseDurations");
  }

  private static void assertRequired(UnaryOperator<CprSaveResult.Builder> partial, String message) {
    assertThatThrownBy(() -> partial.apply(CprSaveResult.builder()).build())
        .isInstanceOf(NullPointerException.class)
        .hasMessage(message);
  }
}

package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.command.RunState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** {@link CprRestoreResult} is a value that can grow: built, copied, compared and printed. */
class CprRestoreResultTest {

  static CprRestoreResult sample() {
    return CprRestoreResult.builder()
        .stateFile(Path.of("/var/lib/vm1/vm.state"))
        .manifestFile(Path.of("/var/lib/vm1/vm.state.json"))
        .markedRestored(true)
        .runState(RunState.RUNNING)
        .wokenUp(true)
        .phaseDurations(Map.of(CprPhase.LOAD, Duration.ofMillis(300)))
        .total(Duration.ofMillis(400))
        .outage(Duration.ofSeconds(42))
        .build();
  }

  @Test
  void theBuilderSetsEveryValue() {
    CprRestoreResult r = sample();
    assertThat(r.stateFile()).isEqualTo(Path.of("/var/lib/vm1/vm.state"));
    assertThat(r.manifestFile()).isEqualTo(Path.of("/var/lib/vm1/vm.state.json"));
    assertThat(r.markedRestored()).isTrue();
    assertThat(r.runState()).isEqualTo(RunState.RUNNING);
    assertThat(r.wokenUp()).isTrue();
    assertThat(r.phaseDurations())
        .containsExactly(Map.entry(CprPhase.LOAD, Duration.ofMillis(300)));
    assertThat(r.duration(CprPhase.LOAD)).isEqualTo(Duration.ofMillis(300));
    assertThat(r.total()).isEqualTo(Duration.ofMillis(400));
    assertThat(r.outage()).isEqualTo(Duration.ofSeconds(42));
  }

  @Test
  void toBuilderMakesAnEqualResultAndChangesOneValue() {
    CprRestoreResult r = sample();
    assertThat(r.toBuilder().build()).isEqualTo(r).hasSameHashCodeAs(r).isNotSameAs(r);
    assertThat(r.toBuilder().outage(null).build()).isNotEqualTo(r);
    List<UnaryOperator<CprRestoreResult.Builder>> changes =
        List.of(
            b -> b.stateFile(Path.of("/other")),
            b -> b.markedRestored(false),
            b -> b.runState(RunState.SUSPENDED),
            b -> b.wokenUp(false),
            b -> b.phaseDurations(Map.of()),
            b -> b.total(Duration.ZERO),
            b -> b.outage(Duration.ZERO));
    for (UnaryOperator<CprRestoreResult.Builder> change : changes) {
      assertThat(change.apply(r.toBuilder()).build()).isNotEqualTo(r);
    }
  }

  @Test
  void toStringNamesEveryValueAsARecordDoes() {
    assertThat(sample().toString())
        .isEqualTo(
            "CprRestoreResult[stateFile=/var/lib/vm1/vm.state,"
                + " manifestFile=/var/lib/vm1/vm.state.json, markedRestored=true,"
                + " runState=running, wokenUp=true, phaseDurations={LOAD=PT0.3S},"
                + " total=PT0.4S, outage=PT42S]");
  }

  @Test
  void requiredValuesAreNamedWhenMissing() {
    assertThatThrownBy(() -> CprRestoreResult.builder().build())
        .isInstanceOf(NullPointerException.class)
        .hasMessage("stateFile is required");
    assertThatThrownBy(() -> CprRestoreResult.builder().stateFile(Path.of("/s")).build())
        .isInstanceOf(NullPointerException.class)
        .hasMessage("runState is required");
    assertThatThrownBy(
            () ->
                CprRestoreResult.builder()
                    .stateFile(Path.of("/s"))
                    .runState(RunState.RUNNING)
                    .build())
        .isInstanceOf(NullPointerException.class)
        .hasMessage("total is required");
    assertThatThrownBy(() -> CprRestoreResult.builder().runState(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("runState");
  }

  @Test
  void markedRestoredNeedsAManifest() {
    assertThatThrownBy(() -> sample().toBuilder().manifestFile(null).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("markedRestored without a manifestFile");
    assertThat(sample().toBuilder().manifestFile(null).markedRestored(false).build().manifestFile())
        .isNull();
  }
}

package io.github.qemucpr.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The lines that the go-qemu and Python peers print, as the QMP speed benchmark reads them. */
class QmpPeerOutputTest {

  @Test
  void readsTheCountTheTimeAndEveryLatency() {
    QmpPeerOutput out =
        QmpPeerOutput.parse(
            List.of("ops 3", "seconds 0.000600000", "ns 170123", "ns 250000", "ns 179877", ""));
    assertThat(out.ops()).isEqualTo(3);
    assertThat(out.seconds()).isEqualTo(0.0006);
    assertThat(out.nanos()).containsExactly(170123, 250000, 179877);
    assertThat(out.rate()).isEqualTo(5000.0, org.assertj.core.data.Offset.offset(1e-6));
  }

  @Test
  void aRunWithNoTimeHasNoRate() {
    QmpPeerOutput out = QmpPeerOutput.parse(List.of("ops 0", "seconds 0"));
    assertThat(out.nanos()).isEmpty();
    assertThat(out.rate()).isNaN();
  }

  @Test
  void refusesACountThatDisagreesWithTheLatencies() {
    assertThatThrownBy(() -> QmpPeerOutput.parse(List.of("ops 2", "seconds 1", "ns 5")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ops 2 but has 1 latencies");
  }

  @Test
  void refusesMissingRepeatedAndUnknownLines() {
    assertThatThrownBy(() -> QmpPeerOutput.parse(List.of("ns 5")))
        .hasMessageContaining("no ops or no seconds");
    assertThatThrownBy(() -> QmpPeerOutput.parse(List.of("ops 1", "ops 1", "seconds 1", "ns 5")))
        .hasMessageContaining("line 2: ops twice");
    assertThatThrownBy(() -> QmpPeerOutput.parse(List.of("ops 1", "seconds 1", "Traceback")))
        .hasMessageContaining("line 3: unknown key: Traceback");
    assertThatThrownBy(() -> QmpPeerOutput.parse(List.of("ops 1", "seconds 1", "ns -4")))
        .hasMessageContaining("line 3: bad latency");
    assertThatThrownBy(() -> QmpPeerOutput.parse(List.of("ops x", "seconds 1")))
        .hasMessageContaining("line 1:")
        .hasCauseInstanceOf(NumberFormatException.class);
    assertThatThrownBy(() -> QmpPeerOutput.parse(List.of("ops 0", "seconds NaN")))
        .hasMessageContaining("line 2: bad seconds");
  }
}

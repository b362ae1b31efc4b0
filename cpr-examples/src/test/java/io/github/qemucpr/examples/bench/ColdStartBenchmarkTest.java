package io.github.qemucpr.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.examples.bench.CprCycles.Driver;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cold-start part's reading of its child JVMs' output, and its pairing by round. */
class ColdStartBenchmarkTest {

  @Test
  void theResultLineIsFoundAmongTheChildsOtherOutput() throws IOException {
    ColdStartBenchmark.Sample s =
        ColdStartBenchmark.parse(
            Driver.RAW, List.of("some log line", "cold-cycle 40000000 25000000", "trailing"));
    assertThat(s.blackoutMs()).isEqualTo(40.0);
    assertThat(s.withoutStartMs()).isEqualTo(15.0);
  }

  @Test
  void aMissingMalformedOrImpossibleLineIsAnError() {
    assertThatThrownBy(() -> ColdStartBenchmark.parse(Driver.RAW, List.of("nothing")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no result line");
    assertThatThrownBy(() -> ColdStartBenchmark.parse(Driver.RAW, List.of("cold-cycle 1 2 3")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("malformed");
    assertThatThrownBy(() -> ColdStartBenchmark.parse(Driver.RAW, List.of("cold-cycle 10 20")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("out of range");
  }

  @Test
  void theOverheadPairsEachRoundsSdkCycleWithItsRawCycle() {
    ColdStartBenchmark.Result r =
        new ColdStartBenchmark.Result(
            List.of(
                new ColdStartBenchmark.Sample(Driver.SDK_FD, 50, 30),
                new ColdStartBenchmark.Sample(Driver.RAW, 40, 20),
                new ColdStartBenchmark.Sample(Driver.RAW, 45, 22),
                new ColdStartBenchmark.Sample(Driver.SDK_FD, 60, 36),
                new ColdStartBenchmark.Sample(Driver.SDK_FD, 70, 40),
                new ColdStartBenchmark.Sample(Driver.RAW, 48, 28)));
    assertThat(r.overhead().median()).isEqualTo(12.0); // rounds: 10, 14, 12
    assertThat(r.blackout(Driver.SDK_FD).median()).isEqualTo(60.0);
  }
}

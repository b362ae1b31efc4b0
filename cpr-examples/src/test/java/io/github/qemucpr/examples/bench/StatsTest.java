package io.github.qemucpr.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The statistics and the raw client's parsing that the report rests on. */
class StatsTest {

  @Test
  void percentilesAreNearestRankValuesOfTheSample() {
    Stats s = Stats.of(List.of(5, 1, 4, 2, 3, 10, 9, 8, 7, 6));
    assertThat(s.median()).isEqualTo(5);
    assertThat(s.p90()).isEqualTo(9);
    assertThat(s.percentile(99)).isEqualTo(10);
    assertThat(s.min()).isEqualTo(1);
    assertThat(s.max()).isEqualTo(10);
    assertThat(s.medianAndP90(1)).isEqualTo("5.0 (9.0)");
  }

  @Test
  void anEmptySampleHasNoMedian() {
    assertThat(Stats.of().medianAndP90(1)).isEqualTo("-");
    assertThatThrownBy(() -> Stats.of().median()).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void nanosecondsBecomeMilliseconds() {
    assertThat(Stats.ofNanosAsMillis(new long[] {1_000_000, 3_000_000, 99}, 2).max())
        .isEqualTo(3.0);
  }

  @Test
  void theRawClientReadsQemusEventLines() {
    String stop =
        "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 123456},"
            + " \"event\": \"STOP\"}";
    assertThat(RawQmp.eventName(stop)).isEqualTo("STOP");
    assertThat(RawQmp.timestamp(stop)).isEqualTo(Instant.parse("2023-11-14T22:13:20.123456Z"));
    assertThat(RawQmp.eventName("{\"return\": {}}")).isNull();
    assertThat(RawQmp.quote("/tmp/a \"b\"\\c")).isEqualTo("\"/tmp/a \\\"b\\\"\\\\c\"");
  }

  @Test
  void ratiosAndSizesAreFormattedForTheReport() {
    assertThat(Report.ratio(3, 2)).isEqualTo("1.50");
    assertThat(Report.ratio(1, 0)).isEqualTo("-");
    assertThat(Report.kib(291_226)).isEqualTo("284.4 KiB");
    assertThat(Report.kib(1L << 30)).isEqualTo("1024.0 MiB");
  }
}

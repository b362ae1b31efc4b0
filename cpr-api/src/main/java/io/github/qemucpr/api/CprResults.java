package io.github.qemucpr.api;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/** What the result classes share: copying their values. */
final class CprResults {
  private CprResults() {}

  /** An unmodifiable copy in phase order; rejects a null map, phase or duration. */
  static Map<CprPhase, Duration> phaseDurations(Map<CprPhase, Duration> durations) {
    Objects.requireNonNull(durations, "phaseDurations");
    EnumMap<CprPhase, Duration> ordered = new EnumMap<>(CprPhase.class);
    durations.forEach(
        (phase, d) ->
            ordered.put(
                Objects.requireNonNull(phase, "a phase in phaseDurations"),
                Objects.requireNonNull(d, () -> "the duration of " + phase)));
    return Collections.unmodifiableMap(ordered);
  }
}

package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprPhase;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/** The phase durations of a public result, copied the one way every result copies them. */
public final class PhaseDurations {
  private PhaseDurations() {}

  /** An unmodifiable copy in phase order; rejects a null map, phase or duration. */
  public static Map<CprPhase, Duration> copyOf(Map<CprPhase, Duration> durations) {
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

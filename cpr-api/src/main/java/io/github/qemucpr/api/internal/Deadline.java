package io.github.qemucpr.api.internal;

import java.time.Duration;

/**
 * The time left for an operation, and for its current phase: each wait gets the smaller of the two,
 * so that no wait can outlive the overall timeout.
 */
final class Deadline {
  private final long overallEnd;
  private final Duration phaseTimeout;
  private final Duration overall;
  private long phaseEnd;

  Deadline(Duration overall, Duration phaseTimeout) {
    long now = System.nanoTime();
    this.overall = overall;
    this.overallEnd = now + overall.toNanos();
    this.phaseTimeout = phaseTimeout;
    this.phaseEnd = now + phaseTimeout.toNanos();
  }

  /** Starts the clock of a new phase. */
  void startPhase() {
    phaseEnd = System.nanoTime() + phaseTimeout.toNanos();
  }

  /** The time left in this phase and overall, whichever is less; never negative. */
  Duration remaining() {
    long now = System.nanoTime();
    long left = Math.min(overallEnd, phaseEnd) - now;
    return Duration.ofNanos(Math.max(left, 0));
  }

  /** {@link #remaining()}, capped at {@code cap}, and at least one millisecond. */
  Duration remaining(Duration cap) {
    Duration r = remaining();
    if (r.compareTo(cap) > 0) {
      r = cap;
    }
    return r.isZero() ? Duration.ofMillis(1) : r;
  }

  /**
   * The overall time left, ignoring the phase's, capped at {@code cap}; never negative. For a
   * rollback, which runs after a phase timed out.
   */
  Duration remainingOverall(Duration cap) {
    Duration r = Duration.ofNanos(Math.max(overallEnd - System.nanoTime(), 0));
    return r.compareTo(cap) > 0 ? cap : r;
  }

  /** Whether the phase's or the overall time is up. */
  boolean expired() {
    return remaining().isZero();
  }

  /** Which limit is nearer, for messages. */
  String describe() {
    long now = System.nanoTime();
    return overallEnd - now < phaseEnd - now
        ? "the overall timeout of " + overall
        : "the phase timeout of " + phaseTimeout;
  }
}

package io.github.qemucpr.examples.bench;

import java.util.Arrays;
import java.util.List;

/**
 * What a peer client of the QMP speed benchmark printed: the go-qemu program ({@code
 * src/main/go/qmppeer}) and the raw Python script ({@code src/main/python/qmp_sequential.py}) both
 * write, one item a line:
 *
 * <pre>
 * ops 3
 * seconds 0.000512
 * ns 170123
 * ns 168004
 * ns 173870
 * </pre>
 *
 * <p>{@code ops} round trips in {@code seconds}, then each one's latency in nanoseconds, in any
 * order. Immutable.
 */
final class QmpPeerOutput {
  private final long ops;
  private final double seconds;
  private final long[] nanos;

  private QmpPeerOutput(long ops, double seconds, long[] nanos) {
    this.ops = ops;
    this.seconds = seconds;
    this.nanos = nanos;
  }

  /**
   * Parses a peer's output lines.
   *
   * @throws IllegalArgumentException if a line is not one of the three forms, {@code ops} or {@code
   *     seconds} is missing, repeated or negative, or the latencies are not {@code ops} many
   */
  static QmpPeerOutput parse(List<String> lines) {
    long ops = -1;
    double seconds = -1;
    long[] nanos = new long[lines.size()];
    int count = 0;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty()) {
        continue;
      }
      int space = line.indexOf(' ');
      String key = space < 0 ? line : line.substring(0, space);
      String value = space < 0 ? "" : line.substring(space + 1).strip();
      try {
        switch (key) {
          case "ns" -> {
            long n = Long.parseLong(value);
            if (n < 0) {
              throw new IllegalArgumentException("bad latency");
            }
            nanos[count++] = n;
          }
          case "ops" -> {
            if (ops >= 0) {
              throw new IllegalArgumentException("ops twice");
            }
            ops = Long.parseLong(value);
          }
          case "seconds" -> {
            if (seconds >= 0) {
              throw new IllegalArgumentException("seconds twice");
            }
            seconds = Double.parseDouble(value);
            if (!(seconds >= 0) || Double.isInfinite(seconds)) {
              throw new IllegalArgumentException("bad seconds");
            }
          }
          default -> throw new IllegalArgumentException("unknown key");
        }
      } catch (IllegalArgumentException e) { // NumberFormatException too
        throw new IllegalArgumentException(
            "peer output line " + (i + 1) + ": " + e.getMessage() + ": " + line, e);
      }
    }
    if (ops < 0 || seconds < 0) {
      throw new IllegalArgumentException("peer output has no ops or no seconds line");
    }
    if (count != ops) {
      throw new IllegalArgumentException(
          "peer output says ops " + ops + " but has " + count + " latencies");
    }
    return new QmpPeerOutput(ops, seconds, Arrays.copyOf(nanos, count));
  }

  /** The round trips measured. */
  long ops() {
    return ops;
  }

  /** The time they took. */
  double seconds() {
    return seconds;
  }

  /** The latency of each round trip, in nanoseconds: a copy, {@link #ops()} long. */
  long[] nanos() {
    return nanos.clone();
  }

  /** Round trips per second, or NaN when no time was measured. */
  double rate() {
    return seconds > 0 ? ops / seconds : Double.NaN;
  }
}

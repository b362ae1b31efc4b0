package io.github.qemucpr.examples.bench;

import java.util.Arrays;
import java.util.Collection;
import java.util.Locale;

/**
 * Order statistics of a sample, by the nearest-rank method: no interpolation, so every figure
 * reported is one that was measured. Immutable.
 */
public final class Stats {
  private final double[] sorted;

  private Stats(double[] values) {
    this.sorted = values.clone();
    Arrays.sort(sorted);
  }

  /** The statistics of {@code values}; an empty sample has no median. */
  public static Stats of(double... values) {
    return new Stats(values);
  }

  /** The statistics of {@code values}. */
  public static Stats of(Collection<? extends Number> values) {
    return new Stats(values.stream().mapToDouble(Number::doubleValue).toArray());
  }

  /** The statistics of nanosecond values, in milliseconds. */
  public static Stats ofNanosAsMillis(long[] nanos, int count) {
    double[] ms = new double[count];
    for (int i = 0; i < count; i++) {
      ms[i] = nanos[i] / 1e6;
    }
    return new Stats(ms);
  }

  /** The number of values. */
  public int count() {
    return sorted.length;
  }

  /** Whether there are no values. */
  public boolean isEmpty() {
    return sorted.length == 0;
  }

  /**
   * The nearest-rank percentile: the smallest value with at least {@code p} percent of the sample
   * at or below it.
   *
   * @throws IllegalStateException if the sample is empty
   */
  public double percentile(double p) {
    if (p < 0 || p > 100) {
      throw new IllegalArgumentException("p must be 0..100: " + p);
    }
    if (sorted.length == 0) {
      throw new IllegalStateException("no values");
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }

  /** The median (the lower one of an even sample, as nearest rank gives). */
  public double median() {
    return percentile(50);
  }

  /** The 90th percentile. */
  public double p90() {
    return percentile(90);
  }

  /** The smallest value. */
  public double min() {
    return percentile(0);
  }

  /** The largest value. */
  public double max() {
    return percentile(100);
  }

  /** {@code median (p90)} with the given number of decimals, or a dash when empty. */
  public String medianAndP90(int decimals) {
    if (isEmpty()) {
      return "-";
    }
    return format(median(), decimals) + " (" + format(p90(), decimals) + ")";
  }

  /** A number with a fixed number of decimals, in the root locale. */
  public static String format(double value, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", value);
  }
}

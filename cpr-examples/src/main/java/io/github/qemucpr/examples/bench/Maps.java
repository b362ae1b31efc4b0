package io.github.qemucpr.examples.bench;

import java.util.Map;

/** Look-ups in the maps the benchmarks fill themselves. */
final class Maps {
  private Maps() {}

  /**
   * The value of a key the benchmark put in the map itself (every client, every driver it ran), so
   * never null: a missing key is a bug here, and fails at once instead of as a null further on.
   */
  static <K, V> V present(Map<K, V> map, K key) {
    V value = map.get(key);
    if (value == null) {
      throw new IllegalStateException("no entry for " + key);
    }
    return value;
  }
}

package io.github.qemucpr.qmp.internal.wire;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/** Argument checks and message helpers that both protocol engines use. */
public final class Checks {

  private static final int PREVIEW_BYTES = 200;

  private Checks() {}

  /** Refuses a null, zero or negative timeout. */
  public static Duration checkTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    // Longer is as long as it takes; the cap keeps deadlines in nanoseconds from overflowing.
    return timeout.compareTo(LONGEST) > 0 ? LONGEST : timeout;
  }

  /** The longest timeout taken: a longer one is taken as this (50 years). */
  public static final Duration LONGEST = Duration.ofDays(365L * 50);

  /** Refuses untyped arguments that are not a JSON object. */
  public static void checkArguments(String command, @Nullable JsonNode arguments) {
    if (arguments != null && !arguments.isObject()) {
      throw new IllegalArgumentException(
          "the arguments of " + command + " must be a JSON object, not " + arguments.getNodeType());
    }
  }

  /** The first 200 bytes of a message, as text, for log lines and exception messages. */
  public static String preview(byte[] line) {
    int n = Math.min(line.length, PREVIEW_BYTES);
    String s = new String(line, 0, n, StandardCharsets.UTF_8);
    return n < line.length ? s + "... (" + line.length + " bytes)" : s;
  }

  /** "5 s" for whole seconds, "250 ms" otherwise. */
  public static String format(Duration duration) {
    long millis = duration.toMillis();
    return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
  }
}

package io.github.qemucpr.qmp.hostile;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The child side of a {@link ChildJvm} flood test: samples the heap every few milliseconds for its
 * peak (garbage included), measures what is live with a full collection every quarter of a second,
 * records any exception that escapes a thread (an {@code OutOfMemoryError} in a client's reader
 * thread among them), and prints the results as {@code RESULT key=value} lines.
 */
public final class FloodProbe {

  // Runtime, not the MemoryMXBean: the test tree is patched into a module that does not read
  // java.management. Both report the same: the heap's committed size minus its free space.
  private final Runtime runtime = Runtime.getRuntime();
  private final AtomicLong peakUsed = new AtomicLong();
  private final AtomicLong peakLive = new AtomicLong();
  private final List<String> uncaught = new CopyOnWriteArrayList<>();
  private final BufferedReader stdin =
      new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
  private final Thread sampler;
  private volatile boolean sampling = true;

  private FloodProbe() {
    Thread.setDefaultUncaughtExceptionHandler((t, e) -> uncaught.add(t.getName() + ": " + e));
    sampler =
        new Thread(
            () -> {
              while (sampling) {
                sample();
                try {
                  Thread.sleep(2);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "flood-probe-heap");
    sampler.setDaemon(true);
    sampler.start();
    Thread live =
        new Thread(
            () -> {
              while (sampling) {
                // What a full collection leaves is what the process holds; a young collection
                // would count dead objects in the old generation as well.
                System.gc();
                peakLive.accumulateAndGet(runtime.totalMemory() - runtime.freeMemory(), Math::max);
                try {
                  Thread.sleep(250);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "flood-probe-live");
    live.setDaemon(true);
    live.start();
  }

  /** Starts sampling the heap. */
  public static FloodProbe start() {
    return new FloodProbe();
  }

  /** Prints {@code line} on its own line of standard output, at once. */
  public void say(String line) {
    System.out.println(line);
    System.out.flush();
  }

  /** Prints a {@code RESULT key=value} line. */
  public void result(String key, Object value) {
    say("RESULT " + key + "=" + value);
  }

  /** Reads lines from standard input until {@code expected}; false if input ended first. */
  public boolean awaitLine(String expected) throws IOException {
    String line;
    while ((line = stdin.readLine()) != null) {
      if (line.equals(expected)) {
        return true;
      }
    }
    return false;
  }

  /** Reads lines from standard input until one starts with {@code prefix}; null if input ended. */
  public @Nullable String awaitPrefix(String prefix) throws IOException {
    String line;
    while ((line = stdin.readLine()) != null) {
      if (line.startsWith(prefix)) {
        return line;
      }
    }
    return null;
  }

  /** Records an exception caught by the child's own code where it must not happen. */
  public void failure(String where, Throwable e) {
    uncaught.add(where + ": " + e);
  }

  /**
   * Prints the results: the peak heap used as sampled (garbage included), the most heap live after
   * the periodic full collections, the heap still used after a full collection now, the heap limit,
   * and what escaped.
   */
  public void report() {
    sample();
    sampling = false;
    System.gc();
    long live = runtime.totalMemory() - runtime.freeMemory();
    result("peakHeapUsedBytes", peakUsed.get());
    result("peakLiveHeapBytes", Math.max(peakLive.get(), live));
    result("heapUsedAfterGcBytes", live);
    result("maxHeapBytes", runtime.maxMemory());
    result("uncaught", uncaught.isEmpty() ? "none" : String.join(" | ", uncaught));
  }

  private void sample() {
    long used = runtime.totalMemory() - runtime.freeMemory();
    peakUsed.accumulateAndGet(used, Math::max);
  }
}

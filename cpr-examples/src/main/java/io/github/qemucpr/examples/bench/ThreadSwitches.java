package io.github.qemucpr.examples.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The context switches of this JVM's threads, from Linux's {@code /proc/self/task/TID/status}: how
 * often a thread gave up its core (to wait, {@code voluntary_ctxt_switches}) or had it taken
 * ({@code nonvoluntary_ctxt_switches}). Counted before and after a client's run, divided by its
 * round trips, it shows how many times a thread went to sleep and was woken per call: the cost that
 * a reply handed from a reader thread to the caller adds to a raw client's single thread. Threads
 * that end during the run take their counts with them, so a run counts threads that outlive it.
 */
final class ThreadSwitches {

  private ThreadSwitches() {}

  /** The sum over this JVM's live threads, or -1 where /proc cannot tell (not Linux). */
  static long now() {
    long total = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path task : tasks) {
        total += ofTask(task.resolve("status"));
      }
    } catch (IOException e) {
      return -1;
    }
    return total;
  }

  /** The CPU time this JVM has used, all threads, in nanoseconds; -1 where the JVM cannot tell. */
  static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  private static long ofTask(Path status) {
    long sum = 0;
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("voluntary_ctxt_switches:")
            || line.startsWith("nonvoluntary_ctxt_switches:")) {
          sum += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
        }
      }
    } catch (IOException | NumberFormatException e) {
      return 0; // the thread ended while it was read
    }
    return sum;
  }
}

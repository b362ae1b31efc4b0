package io.github.qemucpr.qmp.hostile;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client run in a JVM of its own with a small heap ({@code -Xmx}), so that a test can show what a
 * flood does to the memory of the process that holds the client, apart from the test's own (the
 * fake peer that floods runs in the test's JVM). The child speaks lines: it prints {@code READY}
 * and {@code RESULT key=value} lines on its standard output ({@link FloodProbe}), and reads
 * commands such as {@code STOP} from its standard input. Its standard error goes to a file, shown
 * when the test fails.
 */
public final class ChildJvm implements AutoCloseable {

  private static final Pattern GC_PAUSE =
      Pattern.compile("GC\\(\\d+\\) Pause .* (\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

  private final Process process;
  private final Path stderr;
  private final Path gcLog;
  private final Writer stdin;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> all = new ArrayList<>();
  private final Map<String, String> results = new LinkedHashMap<>();

  private ChildJvm(Process process, Path stderr, Path gcLog) {
    this.process = process;
    this.stderr = stderr;
    this.gcLog = gcLog;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // the child is gone
              }
            },
            "child-jvm-stdout");
    pump.setDaemon(true);
    pump.start();
  }

  /**
   * Starts {@code main} in a new JVM with the test's own class path, the heap limit {@code maxHeap}
   * (such as {@code 64m}) and {@code args}. The collector logs each collection ({@code -Xlog:gc}),
   * for {@link #heapFigures()}.
   */
  public static ChildJvm start(Class<?> main, String maxHeap, String... args) {
    Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.add("-Xmx" + maxHeap);
    command.add("-Xms" + maxHeap);
    Path gcLog;
    try {
      gcLog = Files.createTempFile("child-jvm", ".gc.log");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    command.add("-Xlog:gc:file=" + gcLog + "::filecount=0"); // no rotation: no gc.log.0 left
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(List.of(args));
    try {
      Path stderr = Files.createTempFile("child-jvm", ".stderr");
      Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
      return new ChildJvm(process, stderr, gcLog);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits for the child to print {@code expected}, failing with its output if it does not. */
  public void expect(String expected, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      String line = next(deadline);
      if (line == null) {
        throw new AssertionError(
            "the child JVM did not print " + expected + " within " + timeout + describe());
      }
      if (line.equals(expected)) {
        return;
      }
    }
  }

  /** Sends one line to the child's standard input. */
  public void send(String line) {
    try {
      stdin.write(line + "\n");
      stdin.flush();
    } catch (IOException e) {
      throw new AssertionError("the child JVM is gone" + describe(), e);
    }
  }

  /**
   * Waits for the child to exit and returns its {@code RESULT} lines as a map, failing with its
   * output if it does not exit with status 0.
   */
  public Map<String, String> awaitResults(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new AssertionError("the child JVM did not exit within " + timeout + describe());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    String line;
    while ((line = next(Math.min(deadline, System.nanoTime() + TimeUnit.SECONDS.toNanos(2))))
        != null) {
      // drained below
    }
    if (process.exitValue() != 0) {
      throw new AssertionError("the child JVM exited with " + process.exitValue() + describe());
    }
    return Map.copyOf(results);
  }

  /**
   * What the collector's log says of the child's heap: the collector, how many collections, the
   * most heap used when one began (garbage included), the most still used after one, and the most
   * still used after a full collection ({@code maxHeapAfterFullGcBytes}: what the child held alive,
   * measured by the collector at the instant the collection ended, so that allocations racing a
   * {@code System.gc()} call are not counted as live), in bytes.
   */
  public Map<String, String> heapFigures() {
    List<String> log;
    try {
      log = Files.readAllLines(gcLog, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String collector = "?";
    long collections = 0;
    long maxBefore = 0;
    long maxAfter = 0;
    long maxAfterFull = -1;
    for (String line : log) {
      int using = line.indexOf("Using ");
      if (using >= 0) {
        collector = line.substring(using + 6).trim();
      }
      Matcher m = GC_PAUSE.matcher(line);
      if (m.find()) {
        collections++;
        maxBefore = Math.max(maxBefore, bytes(m.group(1), m.group(2)));
        maxAfter = Math.max(maxAfter, bytes(m.group(3), m.group(4)));
        if (line.contains("Pause Full")) {
          maxAfterFull = Math.max(maxAfterFull, bytes(m.group(3), m.group(4)));
        }
      }
    }
    Map<String, String> figures = new LinkedHashMap<>();
    figures.put("collector", collector);
    figures.put("collections", Long.toString(collections));
    figures.put("maxHeapBeforeGcBytes", Long.toString(maxBefore));
    figures.put("maxHeapAfterGcBytes", Long.toString(maxAfter));
    figures.put("maxHeapAfterFullGcBytes", Long.toString(maxAfterFull));
    return figures;
  }

  /**
   * The most heap the collector's log shows still used after a full collection, in bytes; fails
   * when the log has no full collection (the probe runs one every quarter of a second, so a log
   * without any means the figure would prove nothing).
   */
  public long maxLiveHeapBytes() {
    Map<String, String> figures = heapFigures();
    long live = Long.parseLong(figures.get("maxHeapAfterFullGcBytes"));
    if (live < 0) {
      throw new AssertionError("the collector's log shows no full collection: " + figures);
    }
    return live;
  }

  private static long bytes(String number, String unit) {
    long n = Long.parseLong(number);
    return switch (unit) {
      case "K" -> n << 10;
      case "M" -> n << 20;
      default -> n << 30;
    };
  }

  /** Everything the child printed so far, and the tail of its standard error, for messages. */
  public String describe() {
    String err;
    try {
      String text = Files.readString(stderr, StandardCharsets.UTF_8);
      err = text.length() > 4000 ? "..." + text.substring(text.length() - 4000) : text;
    } catch (IOException e) {
      err = "(unreadable: " + e + ")";
    }
    synchronized (all) {
      return "\n--- child stdout:\n"
          + String.join("\n", all)
          + "\n--- child stderr (tail):\n"
          + err;
    }
  }

  private String next(long deadline) {
    try {
      long left = deadline - System.nanoTime();
      String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : lines.poll();
      if (line != null) {
        synchronized (all) {
          all.add(line);
        }
        if (line.startsWith("RESULT ")) {
          int eq = line.indexOf('=');
          results.put(line.substring(7, eq), line.substring(eq + 1));
        }
      }
      return line;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
      Files.deleteIfExists(stderr);
      Files.deleteIfExists(gcLog);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // best effort
    }
  }
}

package io.github.qemucpr.qmp.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The timer thread must outlive an {@link Error} thrown outside a task. On an exhausted heap the
 * thread's own wait throws {@code OutOfMemoryError} (JDK 17's {@code awaitNanos} allocates a node);
 * the thread died of it while the timer still named it as its thread, so no later schedule started
 * another, and no deadline in the JVM ever fired again: every command's timeout and every write's
 * limit, of every client, gone for good. (The JDK executor it replaced starts a new worker when one
 * dies.)
 */
@Timeout(120)
class DeadlineTimerExhaustedHeapTest {

  @Test
  void deadlinesStillFireAfterTheTimerThreadMetAnExhaustedHeap() throws Exception {
    Path stderr = Files.createTempFile("timer-exhausted-heap", ".stderr");
    Process child =
        new ProcessBuilder(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m",
                "-XX:+UseSerialGC",
                "-XX:-UseTLAB",
                "-cp",
                System.getProperty("java.class.path"),
                DeadlineTimerExhaustedHeapChild.class.getName())
            .redirectError(stderr.toFile())
            .start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      Map<String, String> results = new HashMap<>();
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("RESULT ")) {
          int eq = line.indexOf('=');
          results.put(line.substring(7, eq), line.substring(eq + 1));
        }
      }
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      List<String> err = Files.readAllLines(stderr);
      System.out.println("timer on an exhausted heap: child " + results + "; stderr " + err);
      assertThat(results.get("filledBeforeWake"))
          .as("the child filled its heap before the timer woke; stderr " + err)
          .isEqualTo("true");
      assertThat(results.get("fired"))
          .as("a deadline ran after the timer thread met an exhausted heap; stderr " + err)
          .isEqualTo("true");
    } finally {
      child.destroyForcibly();
      Files.deleteIfExists(stderr);
    }
  }
}

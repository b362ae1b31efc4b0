package io.github.qemucpr.qmp.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.testing.FakeQmpServer;
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
 * "Any Throwable in the reader closes the client" (issue 11, item 1) for the QMP reader, on an
 * exhausted heap, not just one too small for a message. Its last-resort handler built the close
 * reason by string concatenation: that allocation could throw a second {@code OutOfMemoryError} out
 * of the handler, the reader thread died without closing, and the client stayed open with no reader
 * (its calls time out and its waits never end). The reason is now made up front, as the agent's
 * reader does, and closing runs each step whatever the one before it threw. Whether the second
 * allocation fails depends on what the failed read left to collect, so on some runs this passed
 * before the fix too.
 */
@Timeout(120)
class ExhaustedHeapTest {

  @Test
  void aReaderThatMeetsAnExhaustedHeapStillClosesTheClient() throws Exception {
    try (FakeQmpServer server = FakeQmpServer.start()) {
      Path stderr = Files.createTempFile("exhausted-heap", ".stderr");
      Process child =
          new ProcessBuilder(
                  Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                  "-Xmx32m",
                  "-XX:+UseSerialGC",
                  "-XX:-UseTLAB",
                  "-cp",
                  System.getProperty("java.class.path"),
                  ExhaustedHeapChild.class.getName(),
                  server.socketPath().toString())
              .redirectError(stderr.toFile())
              .start();
      try {
        BufferedReader out =
            new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("READY");
        Thread.sleep(3_000); // the child fills its heap meanwhile
        server.sendEvent("BLOCK_JOB_PENDING", "{\"id\": \"" + "j".repeat(4096) + "\"}");
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
        System.out.println("exhausted heap: child " + results + "; stderr " + err);

        assertThat(results.get("clientOpen"))
            .as("the client is open after its reader met an exhausted heap; stderr " + err)
            .isEqualTo("false");
        assertThat(results.get("closeFutureDone")).isEqualTo("true");
      } finally {
        child.destroyForcibly();
        Files.deleteIfExists(stderr);
      }
    }
  }
}

package io.github.qemucpr.examples.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the tool, the examples and JShell as separate processes, as a user would, and captures what
 * they print.
 */
public final class Processes {
  /** The README's JShell command, run from the repository root; JShellIT runs exactly this. */
  public static final String JSHELL_COMMAND =
      "jshell --class-path cpr-examples/target/cpr.jar --startup DEFAULT"
          + " --startup cpr-examples/jshell/cpr.jsh";

  /** The README's way to run the tool, from the repository root. */
  public static final String CPR_COMMAND = "java -jar cpr-examples/target/cpr.jar";

  /** The README's way to run an example, from the repository root. */
  public static final String EXAMPLE_COMMAND = "java -cp cpr-examples/target/cpr.jar";

  private Processes() {}

  /** How a process ended, and what it printed. */
  public record Run(
      List<String> command, int exitCode, String stdout, String stderr, Duration took) {
    @Override
    public String toString() {
      return String.join(" ", command)
          + "\n--- exit "
          + exitCode
          + " after "
          + took.toMillis()
          + " ms\n--- stdout:\n"
          + stdout
          + "\n--- stderr:\n"
          + stderr;
    }
  }

  /** The repository root: the system property from the pom, else found above the working dir. */
  public static Path projectRoot() {
    String property = System.getProperty("cpr.project.root");
    if (property != null && !property.isBlank()) {
      return Path.of(property).toAbsolutePath().normalize();
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("scripts/test.sh"))) {
        return p;
      }
    }
    throw new IllegalStateException("cannot find the repository root above " + Path.of(""));
  }

  /** The executable jar, which {@code mvn package} builds before the integration tests run. */
  public static Path cprJar() {
    Path jar = projectRoot().resolve("cpr-examples/target/cpr.jar");
    assertThat(jar).as("run mvn package first").isRegularFile();
    return jar;
  }

  /** The {@code java} of the JVM running the tests. */
  public static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Runs {@code java -jar cpr.jar args...} from the repository root. */
  public static Run cpr(Duration timeout, String... args) {
    List<String> command = new ArrayList<>(List.of(java(), "-jar", cprJar().toString()));
    command.addAll(List.of(args));
    return run(command, timeout);
  }

  /** Runs a command from the repository root, with no input, and waits for it. */
  public static Run run(List<String> command, Duration timeout) {
    try {
      Path out = Files.createTempFile("cpr-test-", ".out");
      Path err = Files.createTempFile("cpr-test-", ".err");
      try {
        long start = System.nanoTime();
        Process p =
            new ProcessBuilder(command)
                .directory(projectRoot().toFile())
                .redirectInput(new File("/dev/null"))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
          p.waitFor(10, TimeUnit.SECONDS);
          throw new AssertionError(
              "still running after "
                  + timeout
                  + ": "
                  + String.join(" ", command)
                  + "\n--- stdout:\n"
                  + Files.readString(out)
                  + "\n--- stderr:\n"
                  + Files.readString(err));
        }
        return new Run(
            List.copyOf(command),
            p.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8),
            Duration.ofNanos(System.nanoTime() - start));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}

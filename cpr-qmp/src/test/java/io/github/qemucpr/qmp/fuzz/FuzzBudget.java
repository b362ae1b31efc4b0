package io.github.qemucpr.qmp.fuzz;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Runs a fuzz target over a budget of generated inputs, inside an ordinary JUnit test.
 *
 * <p>The targets are Jazzer {@code @FuzzTest}s. Jazzer replays their corpus ({@code
 * <TestClass>Inputs/<method>/} under {@code src/test/resources}) in every build and explores with
 * coverage feedback when run with {@code JAZZER_FUZZ=1}, one target per run. This driver adds what
 * Jazzer's regression mode lacks: a budget of inputs mutated from that same corpus ({@link
 * Mutator}), so that every build fuzzes a little. A plain build uses a fixed seed, so that a build
 * fails only for a change, never for a new random input; the full run below draws a fresh seed.
 *
 * <ul>
 *   <li>{@code -Dfuzz.tries=N}: N inputs per in-memory target (N/50 per socket-level target);
 *       without it, each test's short CI budget.
 *   <li>{@code -Dfuzz.seed=S}: the random seed, printed by every run, to replay one; {@code
 *       -Dfuzz.seed=random} for a fresh one. Without it, {@link #DEFAULT_SEED}.
 * </ul>
 *
 * <p>A failing or hanging input is written to {@code target/fuzz-findings/<TestClass>/<method>/};
 * copy it into the corpus directory to keep it as a regression test.
 *
 * <p>The full run (over a million inputs, about seven minutes on two cores):
 *
 * <pre>
 * mvn -pl cpr-launcher,cpr-qmp,cpr-qga install -DskipTests
 * mvn -pl cpr-qmp,cpr-qga test -Dtest='*FuzzTest' -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dfuzz.tries=350000 -Dfuzz.seed=random
 * </pre>
 *
 * <p>Coverage-guided, one target at a time for its {@code maxDuration}; Jazzer adds what it finds
 * to the corpus directory and keeps its working corpus in {@code .cifuzz-corpus/} (delete it):
 *
 * <pre>
 * JAZZER_FUZZ=1 mvn -pl cpr-qmp test -Dtest='QmpDecoderFuzzTest#reply'
 * </pre>
 */
public final class FuzzBudget {

  /** Tries per in-memory target. */
  public static final String TRIES_PROPERTY = "fuzz.tries";

  /** The random seed. */
  public static final String SEED_PROPERTY = "fuzz.seed";

  /** The seed of a build that does not set {@value #SEED_PROPERTY}. */
  public static final long DEFAULT_SEED = 20_261_127L;

  private FuzzBudget() {}

  private static long seed() {
    String value = System.getProperty(SEED_PROPERTY);
    if (value == null || value.isBlank()) {
      return DEFAULT_SEED;
    }
    if (value.trim().equals("random")) {
      return System.nanoTime() ^ Thread.currentThread().getId() * 31;
    }
    return Long.parseLong(value.trim());
  }

  /** A fuzz target: returns normally or throws only what the target allows. */
  @FunctionalInterface
  public interface Target {
    /** Runs one input. */
    void run(byte[] input) throws Exception;
  }

  /**
   * The number of tries: {@code -Dfuzz.tries} divided by {@code scale} (slow targets take a smaller
   * share), or {@code ciDefault} when the property is not set.
   */
  public static long tries(long ciDefault, int scale) {
    String value = System.getProperty(TRIES_PROPERTY);
    if (value == null || value.isBlank()) {
      return ciDefault;
    }
    return Math.max(1, Long.parseLong(value.trim()) / scale);
  }

  /**
   * Feeds {@code tries} inputs, mutated from the corpus of {@code testClass#method} with {@code
   * tokens}, to {@code target}. Fails on the first input that throws, or that runs longer than
   * {@code hangBound}, saving it first.
   *
   * @return the number of inputs run
   */
  public static long run(
      Class<?> testClass,
      String method,
      long tries,
      int maxLength,
      List<String> tokens,
      Duration hangBound,
      Target target)
      throws InterruptedException {
    List<byte[]> seeds = corpus(testClass, method);
    long seed = seed();
    Mutator mutator = new Mutator(new SplittableRandom(seed), seeds, tokens, maxLength);
    String name = testClass.getSimpleName() + "." + method;

    AtomicLong done = new AtomicLong();
    AtomicReference<byte @Nullable []> current = new AtomicReference<>();
    AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
    AtomicLong startedAt = new AtomicLong(System.nanoTime());
    Thread worker =
        new Thread(
            () -> {
              try {
                for (byte[] s : seeds) { // the corpus itself first, then mutations
                  runOne(s, current, startedAt, target);
                  done.incrementAndGet();
                }
                while (done.get() < tries) {
                  runOne(mutator.next(), current, startedAt, target);
                  done.incrementAndGet();
                }
              } catch (Throwable t) {
                failure.set(t);
              }
            },
            "fuzz-" + method);
    worker.setDaemon(true);
    long start = System.nanoTime();
    worker.start();
    while (worker.isAlive()) {
      worker.join(100);
      byte[] input = current.get();
      if (worker.isAlive()
          && input != null
          && System.nanoTime() - startedAt.get() > hangBound.toNanos()) {
        StringBuilder stack = new StringBuilder();
        for (StackTraceElement e : worker.getStackTrace()) {
          stack.append("\n\tat ").append(e);
        }
        Path saved = save(testClass, method, "hang", input);
        fail(
            "%s: an input ran longer than %s (seed %d, saved as %s): %s%nworker stack:%s",
            name, hangBound, seed, saved, describe(input), stack);
      }
    }
    Throwable t = failure.get();
    if (t != null) {
      byte[] input = current.get();
      Path saved = input == null ? null : save(testClass, method, "crash", input);
      throw new AssertionError(
          name
              + ": input "
              + done.get()
              + " failed (seed "
              + seed
              + ", saved as "
              + saved
              + "): "
              + (input == null ? "?" : describe(input)),
          t);
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.printf(
        "[fuzz] %s: %d inputs (%d from the corpus) in %d ms, seed %d%n",
        name, done.get(), seeds.size(), millis, seed);
    return done.get();
  }

  private static void runOne(
      byte[] input, AtomicReference<byte @Nullable []> current, AtomicLong startedAt, Target target)
      throws Exception {
    current.set(input);
    startedAt.set(System.nanoTime());
    target.run(input);
  }

  /** The corpus files of {@code testClass#method}, as Jazzer lays them out. */
  public static List<byte[]> corpus(Class<?> testClass, String method) {
    URL url = testClass.getResource(testClass.getSimpleName() + "Inputs/" + method);
    if (url == null || !url.getProtocol().equals("file")) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
      List<byte[]> seeds = new ArrayList<>();
      for (Path p : files.sorted().toList()) {
        if (Files.isRegularFile(p)) {
          seeds.add(Files.readAllBytes(p));
        }
      }
      return seeds;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Path save(Class<?> testClass, String method, String kind, byte[] input) {
    try {
      String sha1 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(input));
      Path dir = Path.of("target", "fuzz-findings", testClass.getSimpleName(), method);
      Files.createDirectories(dir);
      Path file = dir.resolve(kind + "-" + sha1);
      Files.write(file, input);
      return file.toAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The input as a Java string literal of ISO-8859-1 characters, for failure messages. */
  public static String describe(byte[] input) {
    StringBuilder s = new StringBuilder("\"");
    int n = Math.min(input.length, 2000);
    for (int i = 0; i < n; i++) {
      int b = input[i] & 0xFF;
      switch (b) {
        case '"' -> s.append("\\\"");
        case '\\' -> s.append("\\\\");
        case '\n' -> s.append("\\n");
        case '\r' -> s.append("\\r");
        default -> {
          if (b >= 0x20 && b < 0x7F) {
            s.append((char) b);
          } else {
            s.append(String.format("\\u%04x", b));
          }
        }
      }
    }
    s.append('"');
    if (n < input.length) {
      s.append("...");
    }
    return s.append(" (").append(input.length).append(" bytes, as ISO-8859-1)").toString();
  }
}

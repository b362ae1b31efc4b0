package io.github.qemucpr.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.examples.support.Processes;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code cpr} launcher script ({@code cpr-examples/src/main/sh/cpr}) against a real QEMU: the
 * first {@code status} makes the class-data archive, later runs reuse it, and an archive that is
 * broken, switched off, or in a directory others may write never changes what the tool prints or
 * its exit code.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class LauncherIT {

  @TempDir Path cache;

  private record Result(int exitCode, String stdout, String stderr) {}

  private Result cpr(Map<String, String> env, String... args) throws Exception {
    Path script = Processes.projectRoot().resolve("cpr-examples/src/main/sh/cpr");
    List<String> command =
        Stream.concat(Stream.of("sh", script.toString()), Stream.of(args)).toList();
    Path out = Files.createTempFile("launcher-", ".out");
    Path err = Files.createTempFile("launcher-", ".err");
    try {
      ProcessBuilder pb =
          new ProcessBuilder(command)
              .directory(Processes.projectRoot().toFile())
              .redirectInput(new File("/dev/null"))
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      pb.environment().put("CPR_JAR", Processes.cprJar().toString());
      pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
      pb.environment().put("XDG_CACHE_HOME", cache.toString());
      pb.environment().putAll(env);
      Process p = pb.start();
      assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("the launcher ended").isTrue();
      return new Result(
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private List<Path> archives() throws IOException {
    Path dir = cache.resolve("qemu-cpr");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".jsa")).sorted().toList();
    }
  }

  private static void assertStatus(Result r) {
    assertThat(r.exitCode()).as("%s", r).isZero();
    assertThat(r.stdout()).as("%s", r).contains("run state   running");
  }

  @Test
  void theFirstStatusMakesTheArchiveAndLaterRunsReuseIt() throws Exception {
    try (QemuLauncher vm = QemuLauncher.builder().build();
        QemuInstance qemu = vm.start()) {
      String socket = qemu.qmpSocket().toString();

      assertStatus(cpr(Map.of(), "status", "--qmp", socket));
      List<Path> made = archives();
      assertThat(made).as("one archive after the first status").hasSize(1);
      Object identity = Files.readAttributes(made.get(0), BasicFileAttributes.class).fileKey();

      Result json = cpr(Map.of(), "status", "--qmp", socket, "--json");
      assertThat(json.exitCode()).as("%s", json).isZero();
      assertThat(json.stdout()).as("JVM messages stay out of --json").startsWith("{");
      assertThat(archives()).as("the same archive, reused").isEqualTo(made);
      assertThat(Files.readAttributes(made.get(0), BasicFileAttributes.class).fileKey())
          .isEqualTo(identity);
    }
  }

  @Test
  void aBrokenArchiveNeverChangesTheOutput() throws Exception {
    try (QemuLauncher vm = QemuLauncher.builder().build();
        QemuInstance qemu = vm.start()) {
      String socket = qemu.qmpSocket().toString();
      assertStatus(cpr(Map.of(), "status", "--qmp", socket));
      Path archive = archives().get(0);

      // Truncated: a JDK 17 that maps it crashes before main, so the launcher must not use it.
      byte[] half = Files.readAllBytes(archive);
      Files.write(archive, java.util.Arrays.copyOf(half, half.length / 2));
      assertStatus(cpr(Map.of(), "status", "--qmp", socket));

      // Garbage of the right size.
      Files.write(archive, new byte[half.length]);
      assertStatus(cpr(Map.of(), "status", "--qmp", socket));

      // Switched off.
      assertStatus(cpr(Map.of("CPR_CDS", "off"), "status", "--qmp", socket));
    }
  }

  @Test
  void aCacheOthersMayWriteIsNotUsed() throws Exception {
    try (QemuLauncher vm = QemuLauncher.builder().build();
        QemuInstance qemu = vm.start()) {
      Path dir = Files.createDirectory(cache.resolve("qemu-cpr"));
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));

      assertStatus(cpr(Map.of(), "status", "--qmp", qemu.qmpSocket().toString()));

      assertThat(archives()).as("nothing written where others may write").isEmpty();
    }
  }
}

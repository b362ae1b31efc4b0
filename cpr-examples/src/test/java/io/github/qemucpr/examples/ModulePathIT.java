package io.github.qemucpr.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.examples.support.Processes;
import io.github.qemucpr.examples.support.Processes.Run;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK as a modular application uses it: a small named module that {@code requires
 * io.github.qemucpr.api} ({@code src/test/modular-app}) is compiled and run on the module path
 * only, with the SDK's jars and their runtime dependencies, and does a cpr-reboot save and restore
 * of a real QEMU. Every other test runs on the class path, where module descriptors are ignored.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ModulePathIT {
  /** The jars a modular application needs: the SDK's modules and their runtime dependencies. */
  private static final Pattern MODULE_JAR =
      Pattern.compile(
          ".*/(cpr-(qmp|qga|api|launcher)(/target/classes|-[^/]*\\.jar)"
              + "|(jackson-(databind|core|annotations)|junixsocket-(common|native-common)|jspecify)"
              + "-[0-9][^/]*\\.jar)");

  @TempDir Path dir;

  @Test
  void aModularApplicationSavesAndRestoresOnTheModulePath() throws IOException {
    List<String> modulePath =
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(e -> MODULE_JAR.matcher(e).matches())
            .filter(e -> !e.endsWith("-tests.jar"))
            .collect(Collectors.toList());
    assertThat(modulePath)
        .as("the module path taken from %s", System.getProperty("java.class.path"))
        .anyMatch(e -> e.contains("cpr-api"))
        .anyMatch(e -> e.contains("junixsocket-native-common"))
        .hasSize(10);

    Path sources = Processes.projectRoot().resolve("cpr-examples/src/test/modular-app");
    Path classes = dir.resolve("classes");
    List<String> javac =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "javac").toString(),
                "-d",
                classes.toString(),
                "--module-source-path",
                sources.toString(),
                "--module-path",
                String.join(File.pathSeparator, modulePath),
                "-m",
                "com.example.vmmanager"));
    Run compiled = Processes.run(javac, Duration.ofMinutes(2));
    assertThat(compiled.exitCode()).as(compiled.toString()).isZero();
    try (Stream<Path> files = Files.walk(classes)) {
      assertThat(files.map(Path::toString)).anyMatch(f -> f.endsWith("module-info.class"));
    }

    List<String> java =
        new ArrayList<>(
            List.of(
                Processes.java(),
                "--module-path",
                classes + File.pathSeparator + String.join(File.pathSeparator, modulePath),
                "-m",
                "com.example.vmmanager/com.example.vmmanager.Main",
                dir.resolve("vm.state").toString()));
    Run run = Processes.run(java, Duration.ofMinutes(3));

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.stdout())
        .as(run.toString())
        .contains("module io.github.qemucpr.qmp named=true")
        .contains("preflight errors=0")
        .contains("saved inPlace=true")
        .contains("manifest true")
        .contains("restored running")
        .contains("status running");
  }
}

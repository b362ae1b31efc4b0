package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Requires;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Pins the public surface: a package becomes public only on purpose. */
class ModuleDescriptorTest {

  private static ModuleDescriptor descriptor() throws IOException {
    try (InputStream in = Files.newInputStream(Path.of("target/classes/module-info.class"))) {
      return ModuleDescriptor.read(in);
    }
  }

  @Test
  void exportsOnlyTheApiPackageAndTheCommandLineReaderToTheCprTool() throws IOException {
    ModuleDescriptor module = descriptor();
    assertThat(module.name()).isEqualTo("io.github.qemucpr.api");
    assertThat(module.exports())
        .filteredOn(e -> !e.isQualified())
        .extracting(Exports::source)
        .containsExactly("io.github.qemucpr.api");
    assertThat(module.exports())
        .filteredOn(Exports::isQualified)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.source()).isEqualTo("io.github.qemucpr.api.internal.cmdline");
              assertThat(e.targets()).containsExactly("io.github.qemucpr.examples");
            });
  }

  @Test
  void requiresQmpAndQgaTransitively() throws IOException {
    for (String name : List.of("io.github.qemucpr.qmp", "io.github.qemucpr.qga")) {
      assertThat(descriptor().requires())
          .filteredOn(r -> r.name().equals(name))
          .singleElement()
          .satisfies(r -> assertThat(r.modifiers()).contains(Requires.Modifier.TRANSITIVE));
    }
  }

  @Test
  void everyPackageIsNullMarked() throws IOException {
    Path sources = Path.of("src/main/java/io/github/qemucpr/api");
    try (Stream<Path> dirs = Files.walk(sources)) {
      var packages = dirs.filter(Files::isDirectory).collect(Collectors.toList());
      assertThat(packages).hasSize(3);
      for (Path dir : packages) {
        assertThat(Files.readString(dir.resolve("package-info.java"))).contains("@NullMarked");
      }
    }
  }

  @Test
  void publicTypesAreFinalClassesRecordsEnumsOrInterfaces() throws IOException {
    Path sources = Path.of("src/main/java/io/github/qemucpr/api");
    try (Stream<Path> files = Files.list(sources)) {
      List<Path> sourceFiles =
          files.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList());
      for (Path f : sourceFiles) {
        String text = Files.readString(f);
        if (f.getFileName().toString().equals("package-info.java")
            || f.getFileName().toString().equals("CprException.java")) {
          continue; // the root exception is open for its subtypes
        }
        assertThat(text)
            .as(f.toString())
            .containsAnyOf(
                "public final class", "public record", "public enum", "public interface");
      }
    }
  }
}

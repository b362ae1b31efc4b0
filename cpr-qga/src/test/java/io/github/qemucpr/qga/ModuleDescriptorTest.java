package io.github.qemucpr.qga;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Requires;
import java.nio.file.Files;
import java.nio.file.Path;
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
  void exportsOnlyThePublicPackages() throws IOException {
    ModuleDescriptor module = descriptor();
    assertThat(module.name()).isEqualTo("io.github.qemucpr.qga");
    assertThat(module.exports())
        .allMatch(e -> !e.isQualified())
        .extracting(Exports::source)
        .containsExactlyInAnyOrder("io.github.qemucpr.qga", "io.github.qemucpr.qga.command");
  }

  @Test
  void requiresTheQmpModuleTransitively() throws IOException {
    assertThat(descriptor().requires())
        .filteredOn(r -> r.name().equals("io.github.qemucpr.qmp"))
        .singleElement()
        .satisfies(r -> assertThat(r.modifiers()).contains(Requires.Modifier.TRANSITIVE));
  }

  @Test
  void everyPackageIsNullMarked() throws IOException {
    Path sources = Path.of("src/main/java/io/github/qemucpr/qga");
    try (Stream<Path> dirs = Files.walk(sources)) {
      var packages = dirs.filter(Files::isDirectory).collect(Collectors.toList());
      assertThat(packages).isNotEmpty();
      for (Path dir : packages) {
        Path info = dir.resolve("package-info.java");
        assertThat(info).exists();
        assertThat(Files.readString(info)).contains("@NullMarked");
      }
    }
  }
}

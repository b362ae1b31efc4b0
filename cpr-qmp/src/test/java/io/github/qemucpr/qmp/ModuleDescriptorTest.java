package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Pins the exported packages, so that the public surface changes only on purpose. */
class ModuleDescriptorTest {

  @Test
  void exportsExactlyThePublicPackages() throws Exception {
    ModuleDescriptor descriptor;
    // Read this module's own descriptor, not the first module-info.class on the class path.
    Path classes =
        Path.of(QmpClient.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
      descriptor = ModuleDescriptor.read(in);
    }
    Map<String, Set<String>> exports = new TreeMap<>();
    descriptor.exports().forEach(e -> exports.put(e.source(), e.targets()));

    assertThat(descriptor.name()).isEqualTo("io.github.qemucpr.qmp");
    Map<String, Set<String>> handWritten = new TreeMap<>(exports);
    handWritten.keySet().removeIf(p -> p.startsWith("io.github.qemucpr.qmp.qapi"));
    assertThat(handWritten)
        .containsExactly(
            Map.entry("io.github.qemucpr.qmp", Set.of()),
            Map.entry("io.github.qemucpr.qmp.command", Set.of()),
            Map.entry("io.github.qemucpr.qmp.event", Set.of()),
            Map.entry("io.github.qemucpr.qmp.internal.wire", Set.of("io.github.qemucpr.qga")));
    // The generated surface: exactly its packages, each to everyone.
    Map<String, Set<String>> generated = new TreeMap<>(exports);
    generated.keySet().removeAll(handWritten.keySet());
    assertThat(generated.keySet()).containsExactlyElementsOf(generatedPackages(classes));
    assertThat(generated.values()).allMatch(Set::isEmpty);
  }

  /** io.github.qemucpr.qmp.qapi and the packages of the generated classes below it. */
  private static Set<String> generatedPackages(Path classes) throws Exception {
    Path qapi = classes.resolve("io/github/qemucpr/qmp/qapi");
    Set<String> packages = new TreeSet<>();
    packages.add("io.github.qemucpr.qmp.qapi");
    try (Stream<Path> dirs = Files.list(qapi)) {
      dirs.filter(Files::isDirectory)
          .forEach(d -> packages.add("io.github.qemucpr.qmp.qapi." + d.getFileName()));
    }
    return packages;
  }
}

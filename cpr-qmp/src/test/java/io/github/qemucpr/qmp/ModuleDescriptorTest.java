package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
    assertThat(exports)
        .containsExactly(
            Map.entry("io.github.qemucpr.qmp", Set.of()),
            Map.entry("io.github.qemucpr.qmp.command", Set.of()),
            Map.entry("io.github.qemucpr.qmp.event", Set.of()),
            Map.entry("io.github.qemucpr.qmp.internal.wire", Set.of("io.github.qemucpr.qga")));
  }
}

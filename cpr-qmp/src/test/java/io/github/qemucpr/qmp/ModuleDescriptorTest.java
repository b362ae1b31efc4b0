package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Pins the exported packages, so that the public surface changes only on purpose. */
class ModuleDescriptorTest {

  @Test
  void exportsExactlyThePublicPackages() throws Exception {
    ModuleDescriptor descriptor;
    try (InputStream in = QmpClient.class.getResourceAsStream("/module-info.class")) {
      assertThat(in).as("module-info.class on the class path").isNotNull();
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

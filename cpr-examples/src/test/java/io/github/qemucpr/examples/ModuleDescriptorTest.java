package io.github.qemucpr.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.examples.cli.Main;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Pins the module's name, packages and what it reads, so that they change only on purpose. */
class ModuleDescriptorTest {

  @Test
  void exportsTheProgramsAndOpensTheCommandsToPicocliOnly() throws Exception {
    Path classes = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor descriptor;
    try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
      descriptor = ModuleDescriptor.read(in);
    }
    assertThat(descriptor.name()).isEqualTo("io.github.qemucpr.examples");
    assertThat(
            descriptor.exports().stream()
                .map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toSet()))
        .isEqualTo(
            Set.of(
                "io.github.qemucpr.examples",
                "io.github.qemucpr.examples.cli",
                "io.github.qemucpr.examples.demo"));
    assertThat(descriptor.opens())
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.source()).isEqualTo("io.github.qemucpr.examples.cli");
              assertThat(o.targets()).containsExactly("info.picocli");
            });
    assertThat(descriptor.requires().stream().map(ModuleDescriptor.Requires::name))
        .contains("io.github.qemucpr.api", "io.github.qemucpr.launcher", "info.picocli");
  }
}

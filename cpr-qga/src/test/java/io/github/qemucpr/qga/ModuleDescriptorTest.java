package io.github.qemucpr.qga;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Requires;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
  void exportsOnlyThePublicPackages() throws IOException {
    ModuleDescriptor module = descriptor();
    assertThat(module.name()).isEqualTo("io.github.qemucpr.qga");
    assertThat(module.exports())
        .allMatch(e -> !e.isQualified())
        .extracting(Exports::source)
        .containsExactlyInAnyOrder("io.github.qemucpr.qga", "io.github.qemucpr.qga.command");
  }

  @Test
  void requiresTheQmpModuleOnlyForItselfAndJacksonForItsUsers() throws IOException {
    assertThat(descriptor().requires())
        .filteredOn(r -> r.name().equals("io.github.qemucpr.qmp"))
        .singleElement()
        .satisfies(r -> assertThat(r.modifiers()).doesNotContain(Requires.Modifier.TRANSITIVE));
    assertThat(descriptor().requires())
        .filteredOn(r -> r.name().equals("tools.jackson.databind"))
        .singleElement()
        .satisfies(r -> assertThat(r.modifiers()).contains(Requires.Modifier.TRANSITIVE));
  }

  /** What lets the QMP module be a plain {@code requires}: none of its types is in this API. */
  @Test
  void noTypeOfTheQmpModuleAppearsInThePublicApi() throws Exception {
    Path classes = Path.of("target/classes");
    List<String> leaks = new ArrayList<>();
    try (Stream<Path> files = Files.walk(classes)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
        String name = classes.relativize(file).toString().replace('/', '.').replace(".class", "");
        if (name.endsWith("module-info")
            || name.endsWith("package-info")
            || name.contains(".internal.")) {
          continue;
        }
        Class<?> type = Class.forName(name, false, getClass().getClassLoader());
        if (!Modifier.isPublic(type.getModifiers())) {
          continue;
        }
        List<Class<?>> seen = new ArrayList<>();
        if (type.getSuperclass() != null) {
          seen.add(type.getSuperclass());
        }
        seen.addAll(List.of(type.getInterfaces()));
        for (Method m : type.getDeclaredMethods()) {
          if (Modifier.isPublic(m.getModifiers())) {
            seen.add(m.getReturnType());
            seen.addAll(List.of(m.getParameterTypes()));
            seen.addAll(List.of(m.getExceptionTypes()));
          }
        }
        for (Constructor<?> c : type.getConstructors()) {
          seen.addAll(List.of(c.getParameterTypes()));
        }
        for (Class<?> t : seen) {
          if (t.getName().startsWith("io.github.qemucpr.qmp.")) {
            leaks.add(name + " uses " + t.getName());
          }
        }
      }
    }
    assertThat(leaks).isEmpty();
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

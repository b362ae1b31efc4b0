package io.github.qemucpr.qapigen;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The generated sources that cpr-qmp checks in are exactly what the generator makes from the pinned
 * schema models; and the models hold names and structure only, no documentation text.
 */
class GeneratedSourcesTest {
  private static final Path MODULE = Path.of("").toAbsolutePath();
  private static final Path SCHEMA = MODULE.resolve("schema");
  private static final Path QMP_SOURCES = MODULE.resolve("../cpr-qmp/src/main/java").normalize();

  @Test
  void checkedInSourcesAreWhatTheGeneratorMakes() throws Exception {
    Map<String, String> files = Generator.generate(Generator.readModels(SCHEMA));

    assertThat(Generator.existing(QMP_SOURCES))
        .as("generated files under %s; run scripts/generate-qmp.sh", QMP_SOURCES)
        .containsExactlyInAnyOrderElementsOf(files.keySet());
    List<String> differing = new ArrayList<>();
    for (Map.Entry<String, String> f : files.entrySet()) {
      if (!Files.readString(QMP_SOURCES.resolve(f.getKey()), StandardCharsets.UTF_8)
          .equals(f.getValue())) {
        differing.add(f.getKey());
      }
    }
    assertThat(differing).as("edited by hand? run scripts/generate-qmp.sh").isEmpty();
  }

  @Test
  void theModelsHoldNamesAndStructureOnly() throws Exception {
    Pattern name = Pattern.compile("[A-Za-z0-9_.+-]+");
    for (Schema s : Generator.readModels(SCHEMA)) {
      List<String> strings = new ArrayList<>();
      collect(QapiSyntax.parse(s.toJson(), s.version()), strings);
      assertThat(strings)
          .as("qemu-%s.json", s.version())
          .isNotEmpty()
          .allMatch(x -> name.matcher(x).matches());
    }
  }

  @Test
  void bothPinnedVersionsAreThere() throws Exception {
    assertThat(Generator.readModels(SCHEMA))
        .extracting(Schema::version)
        .containsExactly("10.0.2", "11.1.3");
  }

  private static void collect(Object o, List<String> out) {
    if (o instanceof String s) {
      out.add(s);
    } else if (o instanceof List<?> l) {
      l.forEach(x -> collect(x, out));
    } else if (o instanceof Map<?, ?> m) {
      m.values().forEach(x -> collect(x, out));
    }
  }
}

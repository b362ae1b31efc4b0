package io.github.qemucpr.qmp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layers inside the QMP module, read from the sources' imports: the wire knows nothing above
 * it, the codec knows nothing of the protocol engine, and the engine knows no typed command.
 */
class LayeringTest {

  private static final Path MAIN = Path.of("src/main/java/io/github/qemucpr/qmp");

  private static List<String> importsOf(String pkg, String forbidden) throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.list(MAIN.resolve(pkg))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        for (String line : Files.readAllLines(f)) {
          if (line.startsWith("import ") && line.contains(forbidden)) {
            found.add(f.getFileName() + ": " + line);
          }
        }
      }
    }
    return found;
  }

  @Test
  void theCodecKnowsNothingOfTheProtocolEngine() throws IOException {
    assertThat(importsOf("internal/codec", "io.github.qemucpr.qmp.internal.protocol.")).isEmpty();
  }

  @Test
  void theProtocolEngineKnowsNoTypedCommand() throws IOException {
    assertThat(importsOf("internal/protocol", "io.github.qemucpr.qmp.command.")).isEmpty();
  }

  @Test
  void theWireKnowsNothingAboveIt() throws IOException {
    assertThat(importsOf("internal/wire", "io.github.qemucpr.qmp.internal.protocol.")).isEmpty();
    assertThat(importsOf("internal/wire", "io.github.qemucpr.qmp.internal.codec.")).isEmpty();
    assertThat(importsOf("internal/wire", "io.github.qemucpr.qmp.command.")).isEmpty();
  }
}

package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunStatus;
import io.github.qemucpr.testing.FakeQmpServer;
import io.github.qemucpr.testing.Responders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The generated QAPI surface (a thousand classes) loads only when used: a client that connects and
 * asks {@code query-status} loads none of it. Checked in a fresh JVM, by its class-loading log.
 */
class GeneratedSurfaceLoadingTest {

  private static final Pattern LOADED = Pattern.compile("\\[class,load\\] (\\S+)");

  @Test
  void connectAndQueryStatusLoadNothingGenerated() throws Exception {
    List<String> loaded = run(Probe.class.getName(), "hand-written");
    assertThat(loaded).contains(QueryStatus.class.getName());
    assertThat(loaded).filteredOn(c -> c.startsWith("io.github.qemucpr.qmp.qapi.")).isEmpty();
    // Of the codec, only the hook that the wire codec registers (and its nested class).
    assertThat(loaded)
        .filteredOn(c -> c.startsWith("io.github.qemucpr.qmp.internal.qapi."))
        .isNotEmpty()
        .allMatch(c -> c.startsWith("io.github.qemucpr.qmp.internal.qapi.QapiDeserializers"));
  }

  @Test
  void aGeneratedCommandLoadsWhatItUses() throws Exception {
    // The control: the log does show generated classes when they are used.
    List<String> loaded = run(Probe.class.getName(), "generated");
    assertThat(loaded)
        .contains(
            "io.github.qemucpr.qmp.qapi.runstate.QueryStatus",
            "io.github.qemucpr.qmp.qapi.runstate.StatusInfo")
        .doesNotContain("io.github.qemucpr.qmp.qapi.blockcore.BlockdevOptions");
  }

  private static List<String> run(String main, String mode)
      throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p =
        new ProcessBuilder(
                java.toString(),
                "-Xlog:class+load=info",
                "-cp",
                System.getProperty("java.class.path"),
                main,
                mode)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    List<String> classes = new ArrayList<>();
    Matcher m = LOADED.matcher(out);
    while (m.find()) {
      classes.add(m.group(1));
    }
    return classes;
  }

  /** Connects to a fake QEMU and asks query-status, hand-written or generated. */
  static final class Probe {
    private Probe() {}

    public static void main(String[] args) {
      try (FakeQmpServer server = FakeQmpServer.start()) {
        server.on(
            "query-status", Responders.returns("{\"running\": true, \"status\": \"running\"}"));
        try (QmpClient qmp = QmpClient.connect(server.socketPath())) {
          if (args[0].equals("generated")) {
            io.github.qemucpr.qmp.qapi.runstate.StatusInfo s =
                qmp.execute(new io.github.qemucpr.qmp.qapi.runstate.QueryStatus());
            System.out.println(s.running());
          } else {
            RunStatus s = qmp.execute(new QueryStatus());
            System.out.println(s.running());
          }
        }
      }
    }
  }
}

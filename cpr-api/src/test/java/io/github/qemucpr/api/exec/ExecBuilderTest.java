package io.github.qemucpr.api.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.api.CprExec;
import io.github.qemucpr.api.CprExecBuilder;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.testing.FakeQmpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The cpr-exec builder checks each argument as it is set, refuses a second set, and needs both. */
class ExecBuilderTest {
  private static final List<String> ARGV = List.of("/usr/bin/qemu-system-x86_64", "-m", "1G");

  private final FakeQmpServer server = FakeQmpServer.start();
  private final QmpClient qmp = QmpClient.connect(server.socketPath());

  @AfterEach
  void tearDown() {
    qmp.close();
    server.close();
  }

  @Test
  void theNewCommandIsAnAbsoluteBinaryWithoutIncoming() {
    CprExecBuilder b = CprExec.of(qmp);
    assertThatThrownBy(() -> b.newCommand(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
    assertThatThrownBy(() -> b.newCommand(List.of("qemu-system-x86_64", "-m", "1G")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("absolute");
    assertThatThrownBy(() -> b.newCommand(List.of("/usr/bin/qemu", "-incoming", "defer")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-incoming");
    assertThatThrownBy(() -> b.stateFile(Path.of("relative.state")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("absolute");
    assertThatThrownBy(() -> b.reconnectTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reconnectTimeout");
    assertThatThrownBy(() -> CprExec.of(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void incomingIsRefusedOnlyWhereQemuReadsItAsAnOption() {
    // "-name -incoming": a VM named "-incoming"; "--incoming" is QEMU's other spelling.
    CprExec.of(qmp).newCommand(List.of("/usr/bin/qemu", "-name", "-incoming", "-m", "1G"));
    CprExec.of(qmp).newCommand(List.of("/usr/bin/qemu", "-append", "--incoming"));
    assertThatThrownBy(
            () -> CprExec.of(qmp).newCommand(List.of("/usr/bin/qemu", "-S", "--incoming", "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--incoming");
  }

  @Test
  void eachOptionIsSetOnceAndBothAreRequired() {
    CprExecBuilder b = CprExec.of(qmp).newCommand(ARGV).timeout(Duration.ofMinutes(1));
    assertThatThrownBy(() -> b.newCommand(ARGV))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("newCommand");
    assertThatThrownBy(() -> b.timeout(Duration.ofMinutes(2)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(b::check)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("set newCommand(argv) and stateFile(path) first");
    assertThatThrownBy(b::run).isInstanceOf(IllegalStateException.class);
    assertThat(server.commandNames()).isEmpty();
  }
}

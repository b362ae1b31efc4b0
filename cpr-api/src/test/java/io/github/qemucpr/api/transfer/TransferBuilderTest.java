package io.github.qemucpr.api.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprTransfer;
import io.github.qemucpr.api.CprTransferBuilder;
import io.github.qemucpr.api.CprTransferResult;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The transfer builder checks each argument as it is set, refuses a second set, and runs once. */
class TransferBuilderTest extends FakeTransferTest {

  @Test
  void eachOptionIsSetOnce() {
    CprTransferBuilder b =
        transfer()
            .timeout(Duration.ofMinutes(1))
            .phaseTimeout(Duration.ofSeconds(30))
            .quitSourceAfterTransfer(false);
    assertThatThrownBy(() -> b.cprChannel(pair.cprChannel))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("cprChannel was already set to " + pair.cprChannel);
    assertThatThrownBy(() -> b.mainChannel(pair.mainChannel))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("mainChannel");
    assertThatThrownBy(() -> b.targetQmp(pair.targetQmp))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("targetQmp");
    assertThatThrownBy(() -> b.targetConnectTimeout(Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> b.timeout(Duration.ofMinutes(2)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> b.quitSourceAfterTransfer(true))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> b.progressListener(e -> {})).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void argumentsAreCheckedAtOnce() {
    CprTransferBuilder b = CprTransfer.from(qmp);
    assertThatThrownBy(() -> b.timeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout must be positive: PT0S");
    assertThatThrownBy(() -> b.targetConnectTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("targetConnectTimeout");
    assertThatThrownBy(() -> b.cprChannel(Path.of("/")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cprChannel has no file name");
    assertThatThrownBy(() -> b.mainChannel(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> CprTransfer.from(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> CprTransfer.quitSource(qmp, qmp, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void everyPathIsRequired() {
    assertThatThrownBy(() -> CprTransfer.from(qmp).cprChannel(pair.cprChannel).check())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("set cprChannel(path), mainChannel(path) and targetQmp(path) first");
    assertThatThrownBy(() -> CprTransfer.from(qmp).run()).isInstanceOf(IllegalStateException.class);
    assertThat(pair.sourceCommands()).isEmpty();
  }

  @Test
  void aBuilderRunsOnceButChecksAnyNumberOfTimes() {
    CprTransferBuilder b = transfer();
    b.check();
    b.check();
    CprTransferResult r = b.run();
    r.target().close();
    assertThatThrownBy(b::run)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already ran");
    assertThatThrownBy(() -> b.timeout(Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already ran");
    assertThat(pair.sourceCommands()).containsOnlyOnce("migrate");
  }

  @Test
  void transferPhasesAreNamedAsSuch() {
    assertThat(CprPhase.CONNECT_TARGET.isTransferPhase()).isTrue();
    assertThat(CprPhase.CONNECT_TARGET.isSavePhase()).isFalse();
    assertThat(CprPhase.CONNECT_TARGET.isRestorePhase()).isFalse();
    assertThat(CprPhase.PERSIST.isTransferPhase()).isFalse();
    assertThat(CprPhase.QUIT.isSavePhase()).isTrue();
    assertThat(CprPhase.QUIT.isTransferPhase()).isTrue();
    assertThat(CprPhase.LOAD.isRestorePhase()).isTrue();
  }
}

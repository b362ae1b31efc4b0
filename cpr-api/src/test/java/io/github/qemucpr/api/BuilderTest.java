package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The builders check each argument as it is set, refuse a second set, and run once. */
class BuilderTest extends FakeQemuTest {

  @Test
  void eachSaveOptionIsSetOnce() {
    CprSaveBuilder b =
        save()
            .suspendPolicy(SuspendPolicy.NEVER)
            .quitAfterSave(false)
            .requireMemorySavedInPlace(true)
            .timeout(Duration.ofMinutes(1))
            .phaseTimeout(Duration.ofSeconds(30))
            .suspendTimeout(Duration.ofSeconds(5))
            .passFileDescriptor(true);
    assertThatThrownBy(() -> b.to(stateFile))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("to was already set to " + stateFile);
    assertThatThrownBy(() -> b.suspendPolicy(SuspendPolicy.ALWAYS))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("suspendPolicy");
    assertThatThrownBy(() -> b.quitAfterSave(true)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> b.timeout(Duration.ofMinutes(2)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> b.progressListener(e -> {})).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void argumentsAreCheckedAtOnce() {
    CprSaveBuilder b = CprReboot.save(qmp);
    assertThatThrownBy(() -> b.timeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout must be positive: PT0S");
    assertThatThrownBy(() -> b.phaseTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("phaseTimeout");
    assertThatThrownBy(() -> b.to(Path.of("/"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.guestAgent(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> CprReboot.save(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> CprReboot.restore(qmp).timeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CprReboot.restore(qmp).from(Path.of("/")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aStateFileIsRequired() {
    assertThatThrownBy(() -> CprReboot.save(qmp).check())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("call to(stateFile) first");
    assertThatThrownBy(() -> CprReboot.save(qmp).run()).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> CprReboot.restore(qmp).run())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("call from(stateFile) first");
    assertThat(qemu.commands()).isEmpty();
  }

  @Test
  void aSaveBuilderRunsOnceButChecksAnyNumberOfTimes() {
    CprSaveBuilder b = save().quitAfterSave(false);
    b.check();
    b.check();
    b.run();
    assertThatThrownBy(b::run)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already ran");
    assertThatThrownBy(() -> b.timeout(Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already ran");
    assertThat(qemu.commands()).containsOnlyOnce("migrate");
  }

  @Test
  void aRestoreBuilderRunsOnceEvenWhenItFailed() {
    CprRestoreBuilder b = restore();
    assertThatThrownBy(b::run).isInstanceOf(CprCheckpointException.class);
    assertThatThrownBy(b::run).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> b.force(true)).isInstanceOf(IllegalStateException.class);
  }
}

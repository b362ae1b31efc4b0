package io.github.qemucpr.api.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.api.CprReboot;
import org.junit.jupiter.api.Test;

/**
 * The warm-up that every preflight runs: its sample must stay a manifest the codec writes and reads
 * back whole, or the warm-up would stop half-way, silently, and the first save of a JVM would pay
 * for the rest inside its blackout.
 */
class ColdPathWarmupTest {

  @Test
  void theSampleManifestGoesThroughTheCodecAndItsRestoreMarksWhole() throws Exception {
    CprManifest back = ColdPathWarmup.warm();
    assertThat(back.restoreStartedAt()).isNotNull();
    assertThat(back.restoredAt()).isNotNull();
    assertThat(back.memoryBackends()).hasSize(1);
    CprManifest.RamFile file = back.memoryBackends().get(0).file();
    assertThat(file).isNotNull();
    assertThat(file.contentSample()).isNotNull();
    assertThat(back.stateFileSha256()).hasSize(64);
  }

  @Test
  void warmingUpTwiceOrFromThePublicEntryPointNeverThrows() {
    assertThatCode(
            () -> {
              CprReboot.warmUp();
              CprReboot.warmUp();
              ColdPathWarmup.runOnce();
            })
        .doesNotThrowAnyException();
  }
}

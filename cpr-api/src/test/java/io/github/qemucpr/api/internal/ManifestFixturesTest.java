package io.github.qemucpr.api.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.api.CprManifest;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pins the manifest's encoding on disk: each checked-in manifest, written by an earlier version of
 * the SDK, decodes and encodes back to the very same bytes. A change to the public manifest type
 * (its fields, its construction) must not change what a save writes.
 */
class ManifestFixturesTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "before-ram-files.json",
        "ram-file-modified-time.json",
        "content-sample-dax-restored.json"
      })
  void writesACheckedInManifestBackByteForByte(String name) throws IOException {
    byte[] fixture;
    try (InputStream in =
        Objects.requireNonNull(
            ManifestFixturesTest.class.getResourceAsStream(
                "/io/github/qemucpr/api/manifests/" + name),
            name)) {
      fixture = in.readAllBytes();
    }
    CprManifest m = ManifestCodec.decode(fixture);
    assertThat(m.stateFileName()).isEqualTo("vm.state");
    assertThat(new String(ManifestCodec.encode(m), java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo(new String(fixture, java.nio.charset.StandardCharsets.UTF_8));
  }
}

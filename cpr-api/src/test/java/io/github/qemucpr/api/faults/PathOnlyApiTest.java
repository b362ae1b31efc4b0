package io.github.qemucpr.api.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprRestoreBuilder;
import io.github.qemucpr.api.CprSaveBuilder;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The save and restore builders take the state file as a {@link Path}, and no option takes a string
 * or a URI: there is no way to hand QEMU an {@code exec:} or other migration URI through them.
 * (QEMU gets the file as a descriptor, or as the {@code filename} of a {@code file} channel, never
 * as URI text.)
 */
class PathOnlyApiTest {

  @Test
  void noPublicMethodOfTheBuildersTakesAStringOrAUri() {
    for (Class<?> type : List.of(CprReboot.class, CprSaveBuilder.class, CprRestoreBuilder.class)) {
      for (Method m : type.getDeclaredMethods()) {
        if (!Modifier.isPublic(m.getModifiers())) {
          continue;
        }
        assertThat(m.getParameterTypes())
            .as("%s.%s", type.getSimpleName(), m.getName())
            .doesNotContain(String.class, CharSequence.class, URI.class, Object.class);
      }
    }
  }

  @Test
  void theStateFileIsAPath() throws Exception {
    assertThat(CprSaveBuilder.class.getMethod("to", Path.class)).isNotNull();
    assertThat(CprRestoreBuilder.class.getMethod("from", Path.class)).isNotNull();
    assertThat(
            Arrays.stream(CprSaveBuilder.class.getMethods()).filter(m -> m.getName().equals("to")))
        .hasSize(1);
    assertThat(
            Arrays.stream(CprRestoreBuilder.class.getMethods())
                .filter(m -> m.getName().equals("from")))
        .hasSize(1);
  }
}

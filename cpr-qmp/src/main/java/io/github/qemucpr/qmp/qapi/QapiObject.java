package io.github.qemucpr.qmp.qapi;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A generated JSON object: struct, union variant or event. What QEMU sent that this SDK does not
 * know is kept, so that nothing is lost when a newer QEMU adds members.
 */
public interface QapiObject {
  /**
   * The members this SDK does not know, by wire name, as plain Java values: {@code Map}, {@code
   * List}, {@code String}, {@code Long} (or {@code BigInteger} beyond its range), {@code Double},
   * {@code Boolean}, or null for JSON null. Also an optional member of type {@code any} that came
   * as JSON null (its component is null, as if absent). Empty for a value the caller built. Sent
   * back as they are when the value is encoded.
   *
   * @return the unknown members, unmodifiable
   */
  Map<String, @Nullable Object> unknownMembers();
}

package io.github.qemucpr.qmp.command;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Builds the {@code arguments} map of a command: required members always, optional ones only when
 * set, so that QEMU applies its own default for the rest. Keeps the wire order for readable logs.
 */
final class Args {
  private final Map<String, Object> members = new LinkedHashMap<>();

  private Args() {}

  static Args builder() {
    return new Args();
  }

  /** A required member. */
  Args put(String name, Object value) {
    members.put(name, Objects.requireNonNull(value, name));
    return this;
  }

  /** An optional member, left out when {@code value} is null. */
  Args putIfNotNull(String name, @Nullable Object value) {
    if (value != null) {
      members.put(name, value);
    }
    return this;
  }

  Map<String, Object> build() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(members));
  }
}

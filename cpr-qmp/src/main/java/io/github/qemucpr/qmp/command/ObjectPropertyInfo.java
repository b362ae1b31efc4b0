package io.github.qemucpr.qmp.command;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A property of a QOM object, from {@link QomList}.
 *
 * @param name the property's name, such as {@code mem-path}
 * @param type its type, such as {@code string}, {@code bool} or {@code child<container>}
 * @param description a description, when QEMU has one
 */
public record ObjectPropertyInfo(String name, String type, @Nullable String description) {
  /** Checks the components. */
  public ObjectPropertyInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
  }

  /** Whether the property is a child object ({@code child<...>}), a node of the QOM tree. */
  public boolean isChild() {
    return type.startsWith("child<");
  }
}

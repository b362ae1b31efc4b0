package io.github.qemucpr.qmp.internal.qapi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The defensive copies of the generated records' constructors. Unmodifiable, and unlike {@code
 * List.copyOf} they keep null elements, which JSON values of type {@code any} may be.
 */
public final class QapiCopies {
  private QapiCopies() {}

  /**
   * A required list.
   *
   * @param <T> the element type
   * @param list the list
   * @param name the component, for the message
   * @return an unmodifiable copy
   */
  public static <T extends @Nullable Object> List<T> list(List<T> list, String name) {
    return Collections.unmodifiableList(new ArrayList<>(Objects.requireNonNull(list, name)));
  }

  /**
   * An optional list.
   *
   * @param <T> the element type
   * @param list the list, or null
   * @param name the component
   * @return an unmodifiable copy, or null
   */
  public static <T extends @Nullable Object> @Nullable List<T> optionalList(
      @Nullable List<T> list, String name) {
    return list == null ? null : Collections.unmodifiableList(new ArrayList<>(list));
  }

  /**
   * The unknown members.
   *
   * @param members the members, or null for none
   * @return an unmodifiable copy in the same order
   */
  public static Map<String, @Nullable Object> unknownMembers(
      @Nullable Map<String, @Nullable Object> members) {
    return members == null || members.isEmpty()
        ? Map.of()
        : Collections.unmodifiableMap(new LinkedHashMap<>(members));
  }
}

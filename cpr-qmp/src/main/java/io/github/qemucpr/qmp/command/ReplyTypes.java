package io.github.qemucpr.qmp.command;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** Reply types that are not plain classes, such as {@code List<MemoryBackend>}. */
final class ReplyTypes {
  private ReplyTypes() {}

  /** {@code List<element>}, as a {@link ParameterizedType} the codec understands. */
  static Type listOf(Class<?> element) {
    return new ListType(element);
  }

  private static final class ListType implements ParameterizedType {
    private final Type[] arguments;

    ListType(Class<?> element) {
      this.arguments = new Type[] {Objects.requireNonNull(element, "element")};
    }

    @Override
    public Type[] getActualTypeArguments() {
      return arguments.clone();
    }

    @Override
    public Type getRawType() {
      return List.class;
    }

    @Override
    public @Nullable Type getOwnerType() {
      return null;
    }

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof ParameterizedType p
          && p.getRawType() == List.class
          && p.getOwnerType() == null
          && Arrays.equals(arguments, p.getActualTypeArguments());
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(arguments) ^ List.class.hashCode();
    }

    @Override
    public String toString() {
      return "java.util.List<" + arguments[0].getTypeName() + ">";
    }
  }
}

package io.github.qemucpr.qmp.fuzz;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Checks the JSpecify contract of a decoded value: in a {@code @NullMarked} package, a record
 * component that is not {@code @Nullable} is never null, nor is an element of a list. A decoder
 * that let a null through would hand the caller a NullPointerException later, far from the reply
 * that caused it.
 */
public final class NullContract {
  private NullContract() {}

  /**
   * Walks {@code value} (records, collections, maps) and fails with the path of the first null that
   * its types do not allow.
   */
  public static void check(@Nullable Object value) {
    walk(value, "reply", Collections.newSetFromMap(new IdentityHashMap<>()));
  }

  private static void walk(@Nullable Object value, String path, Set<Object> seen) {
    if (value == null || !seen.add(value)) {
      return;
    }
    if (value instanceof Record record) {
      for (RecordComponent c : record.getClass().getRecordComponents()) {
        Object v;
        try {
          v = c.getAccessor().invoke(record);
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        } catch (InvocationTargetException e) {
          throw new AssertionError(path + "." + c.getName() + "() threw", e.getCause());
        }
        if (v == null
            && !c.getType().isPrimitive()
            && !c.getAnnotatedType().isAnnotationPresent(Nullable.class)) {
          throw new AssertionError(
              path
                  + "."
                  + c.getName()
                  + " is null, but "
                  + record.getClass().getName()
                  + " does not declare it @Nullable: "
                  + record);
        }
        walk(v, path + "." + c.getName(), seen);
      }
      // What a caller does with any value must not throw either.
      record.toString();
      record.hashCode();
      record.equals(record);
    } else if (value instanceof Collection<?> list) {
      int i = 0;
      for (Object element : list) {
        if (element == null) {
          throw new AssertionError(path + "[" + i + "] is null in " + list);
        }
        walk(element, path + "[" + i + "]", seen);
        i++;
      }
    } else if (value instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (e.getKey() == null || e.getValue() == null) {
          throw new AssertionError(path + " has a null key or value: " + map);
        }
        walk(e.getValue(), path + "[" + e.getKey() + "]", seen);
      }
    }
  }
}

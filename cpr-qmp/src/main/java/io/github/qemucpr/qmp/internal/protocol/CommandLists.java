package io.github.qemucpr.qmp.internal.protocol;

import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * One copy of each list of QEMU's commands for all the clients in the JVM. Each client keeps the
 * names that {@code query-commands} gave it (about 230, 15 KiB once decoded); a host with a client
 * per VM runs few QEMU versions, so its clients share a handful of lists instead of a list each. A
 * list no client holds any longer is forgotten.
 */
final class CommandLists {

  /** Each list, by its contents, to itself; both weakly, so that a list nobody holds goes. */
  private static final Map<Set<String>, WeakReference<Set<String>>> LISTS = new WeakHashMap<>();

  private CommandLists() {}

  /** An unmodifiable set of {@code names}: the one already held for the same names, if any. */
  static Set<String> shared(Set<String> names) {
    synchronized (LISTS) {
      WeakReference<Set<String>> held = LISTS.get(names);
      Set<String> list = held != null ? held.get() : null;
      if (list == null) {
        list = Set.copyOf(names);
        LISTS.put(list, new WeakReference<>(list));
      }
      return list;
    }
  }
}
